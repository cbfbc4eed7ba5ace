"""The kiosk's Textual screens and widgets: they show state and collect input, nothing more.

Screens never import ``hardware`` or ``data`` (an import-linter contract checks it); they reach
the app through :mod:`screens.host`.
"""

from pathlib import Path

STYLESHEET = Path(__file__).parent / "kiosk.tcss"
"""The kiosk's styles (every screen and widget)."""
