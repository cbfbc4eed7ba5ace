"""Composition: the Textual apps, the one builder of the kiosk's services, training rig, CLI."""
