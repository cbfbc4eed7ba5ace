"""The NETCA counter kiosk: application layer (domain rules, flows, config, CLI, app wiring)."""

__version__ = "0.1.0"
