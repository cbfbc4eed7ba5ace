"""Staff sign-in (F12): staff number + PIN, or a staff card on the reader and then the PIN.

The screen reaches the staff area through ``host(self).staff`` (a :class:`StaffPort`); every call
blocks (argon2, the card reader) and runs in a thread worker whose result comes back as a
message. On success it posts :class:`StaffSignInScreen.SignedIn` and the app opens staff mode.
Refusals (wrong PIN with the tries left, lockout, an unknown card) are shown in both languages
from the error's code. In training mode the screen also offers to end the program.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import work
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from kiosk.errors import KioskError
from kiosk.staff.texts import error_zh
from screens.base import KioskScreen
from screens.host import current_lang, host
from screens.i18n import Bi, Lang, t
from screens.staff_port import SignedInView, StaffPort
from screens.widgets.text import LangButton, LangText, follow_language


def literal_bi(zh: str, en: str) -> Bi:
    """Text from data (not the catalogue) as a ``Bi`` LangText shows as is (braces escaped)."""
    return Bi(zh.replace("{", "{{").replace("}", "}}"), en.replace("{", "{{").replace("}", "}}"))


def error_bi(error: KioskError) -> Bi:
    """A staff-area refusal in both languages: zh-CN by code, English from the message."""
    return literal_bi(f"{error_zh(error.code)}\n{error.message}", error.message)


class StaffSignInScreen(KioskScreen):
    """工作人员登录 Staff sign-in."""

    HINTS = ("keys.back", "keys.language")
    CARD_TIMEOUT_S: ClassVar[float] = 30.0

    class SignedIn(Message):
        """A staff member signed in (the app opens staff mode)."""

        def __init__(self, who: SignedInView) -> None:
            super().__init__()
            self.who = who

    class Refused(Message):
        """Sign-in or the card read was refused."""

        def __init__(self, error: KioskError) -> None:
            super().__init__()
            self.error = error

    class CardRead(Message):
        """A staff card was read and its holder found."""

        def __init__(self, uid: str, who: SignedInView) -> None:
            super().__init__()
            self.uid = uid
            self.who = who

    def __init__(self) -> None:
        super().__init__(name="staff")
        self.card_uid: str | None = None

    @property
    def port(self) -> StaffPort | None:
        """The staff area, or None on a kiosk without one."""
        return host(self).staff

    def compose_body(self) -> Iterable[Widget]:
        ready = self.port is not None
        with Vertical(id="staff-form"):
            yield LangText("staff.heading", id="heading", classes="heading")
            yield LangText("staff.number", classes="field-label")
            yield Input(id="staff-number", max_length=16, restrict=r"[0-9A-Za-z_-]*")
            yield LangText("staff.pin", classes="field-label")
            yield Input(id="staff-pin", password=True, max_length=12, restrict=r"[0-9]*")
            yield LangText(
                "staff.fill_both" if ready else "staff.unavailable",
                id="staff-message",
                classes="notice",
            )
            with Horizontal(id="nav"):
                yield LangButton("nav.back", id="back", classes="nav")
                yield LangButton(
                    "staff.sign_in",
                    id="sign-in",
                    classes="nav",
                    variant="primary",
                    disabled=not ready,
                )
                yield LangButton("staff.card", id="card", classes="nav", disabled=not ready)
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

    def _say(self, text: Bi | str, values: dict[str, object] | None = None) -> None:
        self.query_one("#staff-message", LangText).set_text(text, values)

    def _busy(self, busy: bool) -> None:
        for button_id in ("#sign-in", "#card"):
            self.query_one(button_id, LangButton).disabled = busy or self.port is None

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.action_back()
        elif event.button.id == "quit-training":
            host(self).end_program()
        elif event.button.id == "sign-in":
            self._submit()
        elif event.button.id == "card" and self.port is not None:
            self._busy(True)
            self._say("staff.place_card")
            self._read_card(self.port)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "staff-number":
            self.query_one("#staff-pin", Input).focus()
        else:
            self._submit()

    def _submit(self) -> None:
        port = self.port
        if port is None:
            return
        number = self.query_one("#staff-number", Input).value.strip()
        pin = self.query_one("#staff-pin", Input).value
        if not pin or (not number and self.card_uid is None):
            self._say("staff.fill_both")
            return
        self._busy(True)
        self._sign_in(port, number, pin, self.card_uid)

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-sign-in")
    def _sign_in(self, port: StaffPort, number: str, pin: str, uid: str | None) -> None:
        try:
            who = port.sign_in_card(uid, pin) if uid else port.sign_in(number, pin)
        except KioskError as e:
            self.post_message(self.Refused(e))
        else:
            self.post_message(self.SignedIn(who))

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-card")
    def _read_card(self, port: StaffPort) -> None:
        try:
            uid = port.read_card(self.CARD_TIMEOUT_S)
            who = port.card_holder(uid)
        except KioskError as e:
            self.post_message(self.Refused(e))
        else:
            self.post_message(self.CardRead(uid, who))

    def on_staff_sign_in_screen_card_read(self, message: CardRead) -> None:
        self.card_uid = message.uid
        number = self.query_one("#staff-number", Input)
        number.value = message.who.staff_no
        number.disabled = True
        self._busy(False)
        self._say("staff.enter_pin_for", {"name": message.who.name})
        self.query_one("#staff-pin", Input).focus()

    def on_staff_sign_in_screen_refused(self, message: Refused) -> None:
        self._busy(False)
        pin = self.query_one("#staff-pin", Input)
        pin.value = ""
        self._say(error_bi(message.error))
        pin.focus()
