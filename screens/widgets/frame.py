"""The frame of every kiosk screen: the header line and the key hints line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal

from screens.host import host
from screens.i18n import Bi
from screens.widgets.text import LangText


class KioskHeader(Horizontal):
    """The service's title and the counter's name."""

    def compose(self) -> ComposeResult:
        counter = host(self).settings.counter
        yield LangText("app.title", id="header-title")
        yield LangText(Bi(counter.name_zh, counter.name_en), id="header-counter")


class KeyHints(Horizontal):
    """The keys an applicant can press on this screen, in the current language.

    Args:
        keys: catalogue keys of the hints (``"keys.language"``, ``"keys.back"``, …).
    """

    def __init__(self, keys: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys = keys

    def compose(self) -> ComposeResult:
        for key in self._keys:
            yield LangText(key, classes="key-hint")
