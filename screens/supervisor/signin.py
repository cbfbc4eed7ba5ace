"""主管登录 Supervisor sign-in: staff number and PIN, checked against the staff roster.

Only a supervisor (复查员) gets in; the store side audits every attempt (wrong PIN, lockout,
another role). The check runs argon2 (about 0.1 s) and SQLite: a thread worker, its result
coming back as a message.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import work
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from kiosk.console.model import Supervisor
from kiosk.errors import KioskError
from screens.host import current_lang
from screens.i18n import Bi, Lang, t
from screens.staff import error_bi
from screens.supervisor.base import ConsoleBase, port
from screens.widgets.text import LangButton, LangText, follow_language

#: Notices the sign-in screen opens with when a session ended.
SIGNED_OUT = "console.signed_out"
TIMED_OUT = "console.timed_out"


class ConsoleSignInScreen(ConsoleBase):
    """The console's first screen."""

    class SignedIn(Message):
        """A supervisor signed in (the app opens the console)."""

        def __init__(self, who: Supervisor) -> None:
            super().__init__()
            self.who = who

    class Refused(Message):
        """The sign-in was refused (wrong PIN, locked, not a supervisor, store unreadable)."""

        def __init__(self, error: KioskError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, notice: str | Bi | None = None) -> None:
        super().__init__(name="console-sign-in")
        self._notice = notice

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="staff-form"):
            yield LangText("console.heading", id="heading", classes="heading")
            yield LangText("console.intro", classes="hint")
            yield LangText("staff.number", classes="field-label")
            yield Input(id="staff-number", max_length=16, restrict=r"[0-9A-Za-z_-]*")
            yield LangText("staff.pin", classes="field-label")
            yield Input(id="staff-pin", password=True, max_length=12, restrict=r"[0-9]*")
            yield LangText(
                self._notice or "console.fill_both", id="staff-message", classes="notice"
            )
            with Horizontal(id="nav"):
                yield LangButton("staff.sign_in", id="sign-in", classes="nav", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#staff-number", Input).focus()
        self._relabel(current_lang(self))
        follow_language(self, self._relabel)

    def _relabel(self, lang: Lang) -> None:
        self.query_one("#staff-number", Input).placeholder = t("staff.number", lang)
        self.query_one("#staff-pin", Input).placeholder = t("staff.pin", lang)

    def _say(self, text: Bi | str) -> None:
        self.query_one("#staff-message", LangText).set_text(text)

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if event.button.id == "sign-in":
            self._submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "staff-number":
            self.query_one("#staff-pin", Input).focus()
        else:
            self._submit()

    def _submit(self) -> None:
        number = self.query_one("#staff-number", Input).value.strip()
        pin = self.query_one("#staff-pin", Input).value
        if not number or not pin:
            self._say("console.fill_both")
            return
        self.query_one("#sign-in", LangButton).disabled = True
        self._say("console.signing_in")
        self._sign_in(number, pin)

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-sign-in")
    def _sign_in(self, number: str, pin: str) -> None:
        try:
            who = port(self).sign_in(number, pin)
        except KioskError as e:
            self.post_message(self.Refused(e))
        else:
            self.post_message(self.SignedIn(who))

    def on_console_sign_in_screen_refused(self, message: Refused) -> None:
        self.query_one("#sign-in", LangButton).disabled = False
        pin = self.query_one("#staff-pin", Input)
        pin.value = ""
        self._say(error_bi(message.error))
        pin.focus()
