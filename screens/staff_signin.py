"""Staff sign-in: staff number + PIN, or a staff card on the reader and then the PIN.

The screen receives the staff area through a small port (``StaffPort``: the app passes a
``kiosk.staff_service.StaffService``), so it never touches the store or the reader itself. Every
call blocks (argon2, the card reader) and runs in a thread worker; the result comes back as a
message (``SignInSucceeded``, ``SignInFailed``, ``CardRead``). It dismisses with the
:class:`SignedIn` view on success, or None when the person goes back.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from kiosk.errors import KioskError

#: zh-CN first, then English, per error code (the English message follows from the error).
ERROR_ZH: dict[str, str] = {
    "staff.unknown": "工号或密码错误",
    "staff.wrong_pin": "密码错误",
    "staff.locked": "连续输错密码，工号已锁定",
    "staff.disabled": "该工号已停用",
    "staff.unknown_card": "此工作证未登记",
    "staff.forbidden": "无此操作权限",
    "staff.session_expired": "登录已超时，请重新登录",
    "override.self_approval": "发起人不能自己复核",
    "override.not_pending": "该事项已处理",
    "staffcard.timeout": "未检测到工作证",
    "staffcard.no_reader": "未找到工作证读卡器",
    "staffcard.no_service": "读卡服务未运行",
    "staffcard.removed": "工作证移开过早，请重新放置",
    "staffcard.no_uid": "无法读取此卡",
    "usage.invalid": "输入有误",
    "staff.bad_pin_format": "密码格式不正确",
    "day.bad_counted": "清点金额有误",
    "day.in_flight": "尚有未完成的受理或待付款",
    "day.note_required": "差异超出阈值，请填写说明",
    "day.approval_required": "差异超出阈值，需复查员审批",
    "day.already_closed": "该日已日结",
    "day.self_approval": "日结人不能自己审批",
}


def error_text(error: KioskError) -> str:
    """Two lines: zh-CN by code (or a general heading), then the English message."""
    return f"{ERROR_ZH.get(error.code, '操作未完成')}\n{error.message}"


class StaffPort(Protocol):
    """The calls this screen makes (``kiosk.staff_service.StaffService``)."""

    def sign_in(self, staff_no: str, pin: str) -> Any: ...

    def read_card(self, timeout_s: float | None = None) -> str: ...

    def card_holder(self, uid: str) -> Any: ...

    def sign_in_card(self, uid: str, pin: str) -> Any: ...


class SignInSucceeded(Message):
    """A staff member signed in."""

    def __init__(self, who: Any) -> None:
        super().__init__()
        self.who = who


class SignInFailed(Message):
    """Sign-in, or the card read, was refused."""

    def __init__(self, error: KioskError) -> None:
        super().__init__()
        self.error = error


class CardRead(Message):
    """A staff card was read and its holder found."""

    def __init__(self, uid: str, who: Any) -> None:
        super().__init__()
        self.uid = uid
        self.who = who


class StaffSignInScreen(Screen[Any]):
    """工作人员登录 Staff sign-in."""

    DEFAULT_CSS = """
    StaffSignInScreen { align: center middle; }
    #staff-form { width: 64; height: auto; border: round $primary; padding: 1 2; }
    #staff-form Input { margin-bottom: 1; }
    #staff-message { height: auto; min-height: 2; color: $error; }
    #staff-message.info { color: $success; }
    #staff-buttons { height: auto; }
    #staff-buttons Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", show=False)]

    def __init__(self, port: StaffPort, *, card_timeout_s: float = 30.0) -> None:
        super().__init__(name="staff")
        self.port = port
        self.card_timeout_s = card_timeout_s
        self.card_uid: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="staff-form"):
            yield Static("工作人员登录  Staff sign-in", id="staff-heading")
            yield Static("工号 Staff number")
            yield Input(id="staff-number", max_length=16, restrict=r"[0-9A-Za-z_-]*")
            yield Static("密码 PIN")
            yield Input(id="staff-pin", password=True, max_length=12, restrict=r"[0-9]*")
            yield Static("", id="staff-message")
            with Horizontal(id="staff-buttons"):
                yield Button("登录 Sign in", id="sign-in", variant="primary")
                yield Button("刷工作证 Staff card", id="card")
                yield Button("返回 Back", id="back")

    def on_mount(self) -> None:
        self.query_one("#staff-number", Input).focus()

    def _say(self, text: str, *, info: bool = False) -> None:
        msg = self.query_one("#staff-message", Static)
        msg.update(text)
        msg.set_class(info, "info")

    def _busy(self, busy: bool) -> None:
        for b in self.query(Button):
            if b.id != "back":
                b.disabled = busy

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.action_back()
        elif event.button.id == "sign-in":
            self._submit()
        elif event.button.id == "card":
            self._busy(True)
            self._say("请将工作证放在读卡器上…\nPlace the staff card on the reader…", info=True)
            self._read_card()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "staff-number":
            self.query_one("#staff-pin", Input).focus()
        else:
            self._submit()

    def _submit(self) -> None:
        number = self.query_one("#staff-number", Input).value.strip()
        pin = self.query_one("#staff-pin", Input).value
        if not pin or (not number and self.card_uid is None):
            self._say("请输入工号和密码\nEnter your staff number and PIN")
            return
        self._busy(True)
        self._sign_in(number, pin, self.card_uid)

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-sign-in")
    def _sign_in(self, number: str, pin: str, uid: str | None) -> None:
        try:
            who = self.port.sign_in_card(uid, pin) if uid else self.port.sign_in(number, pin)
        except KioskError as e:
            self.post_message(SignInFailed(e))
        else:
            self.post_message(SignInSucceeded(who))

    @work(thread=True, exclusive=True, exit_on_error=False, group="staff-card")
    def _read_card(self) -> None:
        try:
            uid = self.port.read_card(self.card_timeout_s)
            who = self.port.card_holder(uid)
        except KioskError as e:
            self.post_message(SignInFailed(e))
        else:
            self.post_message(CardRead(uid, who))

    def on_card_read(self, message: CardRead) -> None:
        self.card_uid = message.uid
        number = self.query_one("#staff-number", Input)
        number.value = message.who.staff_no
        number.disabled = True
        self._busy(False)
        self._say(f"{message.who.name}，请输入密码\n{message.who.name}, enter your PIN", info=True)
        self.query_one("#staff-pin", Input).focus()

    def on_sign_in_failed(self, message: SignInFailed) -> None:
        self._busy(False)
        pin = self.query_one("#staff-pin", Input)
        pin.value = ""
        self._say(error_text(message.error))
        pin.focus()

    def on_sign_in_succeeded(self, message: SignInSucceeded) -> None:
        self.dismiss(message.who)

    def action_back(self) -> None:
        """Leave without signing in."""
        self.dismiss(None)
