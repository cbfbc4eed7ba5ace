"""What screens may ask of the app that hosts them, as a narrow protocol.

Screens never import ``kiosk.shell.app`` (it wires the store and devices, which screens must not
reach); they see the app through :class:`ShellHost`. ``kiosk.shell.app.KioskApp`` implements it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from textual.dom import DOMNode

from kiosk.config import Settings
from kiosk.status import KioskStatus
from screens.i18n import DEFAULT_LANG, Lang
from screens.staff_port import StaffPort


class ShellHost(Protocol):
    """The app as screens see it."""

    language: Lang
    status: KioskStatus | None
    settings: Settings
    training: bool
    staff: StaffPort | None

    def local_now(self) -> datetime:
        """The current time in the counter's time zone."""
        ...

    def go_home(self) -> None:
        """Back to the welcome screen (the visit's screens are cleared)."""
        ...

    def end_program(self) -> None:
        """End the kiosk program, if staff mode allows it (the app decides, not the screen)."""
        ...

    def may_end_program(self) -> bool:
        """Whether :meth:`end_program` would end it now (training mode, or a supervisor)."""
        ...


def host(node: DOMNode) -> ShellHost:
    """The hosting app of a mounted widget or screen."""
    return cast(ShellHost, node.app)


def current_lang(node: DOMNode) -> Lang:
    """The screen language; the default when the host app has none (a widget tested alone)."""
    lang = getattr(node.app, "language", DEFAULT_LANG)
    return cast(Lang, lang)
