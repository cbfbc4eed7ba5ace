"""The supervisor console's screens: sign-in, then a read-only view of the counter's day.

The console never opens a device and never changes a record; its screens reach the store side
only through :class:`kiosk.console.model.ConsolePort` (the app's ``desk``), in thread workers.
"""

from pathlib import Path

STYLESHEET = Path(__file__).parent / "supervisor.tcss"
"""The console's own styles (on top of the kiosk's)."""
