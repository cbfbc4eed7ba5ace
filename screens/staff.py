"""Staff sign-in: a placeholder until the staff feature lands.

It is a real form (staff number, PIN) so the layout and the F12 route are settled, but it
accepts nobody: signing in arrives with the staff feature, and the screen says so. In training
mode it also offers to end the program (the applicant screens never do).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input

from screens.base import KioskScreen
from screens.host import current_lang, host
from screens.i18n import Lang, t
from screens.widgets.text import LangButton, LangText, follow_language


class StaffSignInScreen(KioskScreen):
    """Staff number and PIN. The sign-in button stays disabled until sign-in exists."""

    HINTS = ("keys.back", "keys.language")

    def __init__(self) -> None:
        super().__init__(name="staff")

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="staff-form"):
            yield LangText("staff.heading", id="heading", classes="heading")
            yield LangText("staff.number", classes="field-label")
            yield Input(id="staff-number", max_length=16, restrict=r"[0-9A-Za-z]*")
            yield LangText("staff.pin", classes="field-label")
            yield Input(id="staff-pin", password=True, max_length=32)
            yield LangText("staff.not_yet", id="not-yet", classes="notice")
            with Horizontal(id="nav"):
                yield LangButton("nav.back", id="back", classes="nav")
                yield LangButton("staff.sign_in", id="sign-in", classes="nav", disabled=True)
                if host(self).training:
                    yield LangButton(
                        "staff.quit_training", id="quit-training", classes="nav", variant="error"
                    )
            if host(self).training:
                yield LangText("staff.quit_hint", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#staff-number", Input).focus()
        self._relabel(current_lang(self))
        follow_language(self, self._relabel)

    def _relabel(self, lang: Lang) -> None:
        self.query_one("#staff-number", Input).placeholder = t("staff.number", lang)
        self.query_one("#staff-pin", Input).placeholder = t("staff.pin", lang)

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.action_back()
        elif event.button.id == "quit-training":
            host(self).end_program()
