"""The base of every kiosk screen: header, body, status bar and key hints."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widget import Widget

from screens.widgets.frame import KeyHints, KioskHeader
from screens.widgets.status_bar import StatusBar


class KioskScreen(Screen[None]):
    """A full kiosk screen. Subclasses provide :meth:`compose_body`.

    ``HINTS`` names the catalogue keys of the key hints shown at the foot.
    """

    HINTS: tuple[str, ...] = ("keys.back", "keys.language", "keys.staff")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", show=False)]

    def compose(self) -> ComposeResult:
        yield KioskHeader(id="header")
        with Vertical(id="body"):
            yield from self.compose_body()
        yield StatusBar(id="status-bar")
        yield KeyHints(self.HINTS, id="key-hints")

    def compose_body(self) -> Iterable[Widget]:
        """The screen's own content."""
        return ()

    def action_back(self) -> None:
        """One step back (the welcome screen overrides this: it has nowhere to go back to)."""
        if len(self.app.screen_stack) > 1 and self.app.screen is self:
            self.app.pop_screen()
