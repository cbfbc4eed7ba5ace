"""The frame of the console's screens: a header naming the console and the counter, the key
hints at the foot. Unlike the kiosk's screens there is no device status bar: the console
shows the devices as the kiosk recorded them, on its own tab."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

from kiosk.config import Settings
from kiosk.console.model import ConsolePort
from screens.i18n import Bi
from screens.widgets.text import LangText


class ConsoleHost(Protocol):
    """The console app as its screens see it (``kiosk.shell.console_app.SupervisorConsole``;
    screens do not import the shell)."""

    settings: Settings
    desk: ConsolePort


def console_host(node: DOMNode) -> ConsoleHost:
    """The hosting console app of a mounted screen."""
    return cast(ConsoleHost, node.app)


def port(node: DOMNode) -> ConsolePort:
    """The console's store side, from the hosting app (``SupervisorConsole.desk``)."""
    return console_host(node).desk


class ConsoleBase(Screen[None]):
    """Header, body, key hints. Subclasses provide :meth:`compose_body`."""

    def compose(self) -> ComposeResult:
        counter = console_host(self).settings.counter
        with Horizontal(id="header"):
            yield LangText("console.title", id="header-title")
            if getattr(self.app, "training", False):
                yield LangText("training.badge", id="console-training")
            yield LangText(Bi(counter.name_zh, counter.name_en), id="header-counter")
        with Vertical(id="body"):
            yield from self.compose_body()
        yield LangText("keys.console", id="console-hints")

    def compose_body(self) -> Iterable[Widget]:
        """The screen's own content."""
        return ()
