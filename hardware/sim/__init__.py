"""hardware/sim"""
