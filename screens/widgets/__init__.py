"""screens/widgets"""
