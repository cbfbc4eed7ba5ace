"""What the kiosk and the hub share: subject data, payment provider types, the seal object."""
