"""The agent's ID card screen: "请将身份证放在读卡区", the reader's state, the result or the error.

The screen never touches the reader. The application wiring (``kiosk.idcard_bridge``) runs the
reader's monitor thread and posts the messages below to this screen; the screen shows them and,
when a valid card was read (or staff entered the agent by hand), posts :class:`AgentIdentified`.

Staff manual entry (no reader works): the button opens :class:`ManualEntryScreen` once
``staff_mode`` is on (staff signed in); it validates through the injected
:class:`ManualEntryPort`, the same rules as a card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import ClassVar, Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, Select, Static

from kiosk.errors import KioskError


class CardHolder(Protocol):
    """What the screen needs of a validated card record (the reader's record satisfies it)."""

    @property
    def name(self) -> str: ...
    @property
    def id_number(self) -> str: ...
    @property
    def valid_from(self) -> dt.date: ...
    @property
    def valid_to(self) -> dt.date | None: ...


class ManualEntryPort(Protocol):
    """The application's side of the manual-entry form.

    Attributes:
        nations: nation code -> name as printed on the card (for the form's choice list).
    """

    nations: Mapping[str, str]

    def validate(self, form: Mapping[str, str]) -> CardHolder:
        """Check the form with the card rules; raise a KioskError (with ``code``) if invalid.

        The form's keys: ``name``, ``id_number``, ``sex`` (``"1"``/``"2"``), ``nation`` (code),
        ``valid_from`` (YYYY-MM-DD), ``valid_to`` (YYYY-MM-DD or ``长期``).
        """
        ...


# -- messages the wiring posts (past events) --------------------------------------------------


class ReaderReady(Message):
    """The reader is connected and waiting for a card."""

    def __init__(self, description: str = "") -> None:
        super().__init__()
        self.description = description


class ReaderUnavailable(Message):
    """No reader works (no reader, pcscd down, unplugged); the wiring keeps retrying."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__()
        self.code = code
        self.message = message


class CardPlaced(Message):
    """A card arrived on the reader; reading has started."""


class CardRead(Message):
    """The card was read and passed validation."""

    def __init__(self, holder: CardHolder) -> None:
        super().__init__()
        self.holder = holder


class CardFailed(Message):
    """Reading or validating the card failed (a named error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__()
        self.code = code
        self.message = message


class CardTakenAway(Message):
    """The card left the reader."""


class AgentIdentified(Message):
    """Posted by the screen: the agent is identified (``source``: ``"card"`` or ``"manual"``)."""

    def __init__(self, holder: CardHolder, source: str) -> None:
        super().__init__()
        self.holder = holder
        self.source = source


# -- words ------------------------------------------------------------------------------------

AGAIN = "请重新将身份证放在读卡区。"
STAFF = "请联系工作人员。"

#: zh-CN text by error code: (what happened, what to do next).
ERROR_TEXT: dict[str, tuple[str, str]] = {
    "idcard.no_reader": ("未连接身份证读卡器。", STAFF),
    "idcard.pcsc_unavailable": ("读卡服务未运行。", STAFF),
    "idcard.reader_lost": ("读卡器连接中断。", "请检查读卡器连线，或" + STAFF),
    "idcard.no_card": ("未检测到身份证。", AGAIN),
    "idcard.card_removed": ("读卡过程中身份证被移开。", "请将身份证放回读卡区并保持不动。"),
    "idcard.not_id_card": ("这不是居民身份证。", "请放置本人居民身份证。"),
    "idcard.unsupported_card_type": ("本机不受理外国人永久居留身份证。", STAFF),
    "idcard.bad_response": ("读卡失败，卡片应答异常。", AGAIN),
    "idcard.corrupt_record": ("身份证信息无法识别。", AGAIN + "如仍失败，" + STAFF),
    "idcard.bad_id_number": ("身份证号码格式不正确。", STAFF),
    "idcard.bad_check_char": ("身份证号码校验位不正确。", STAFF),
    "idcard.birth_mismatch": ("出生日期与身份证号码不一致。", STAFF),
    "idcard.sex_mismatch": ("性别与身份证号码不一致。", STAFF),
    "idcard.unknown_sex": ("性别代码无法识别。", STAFF),
    "idcard.unknown_nation": ("民族代码无法识别。", STAFF),
    "idcard.expired": ("身份证已过有效期，不能使用。", "请出示有效身份证件，或" + STAFF),
    "idcard.not_yet_valid": ("身份证尚未生效。", STAFF),
    "idcard.sam_frame": ("读卡器通信出错。", AGAIN),
    "idcard.sam_timeout": ("读卡器没有响应。", STAFF),
    "idcard.sam_status": ("读卡器未能读取身份证。", AGAIN),
    "idcard.manual_incomplete": (
        "请填写全部项目。",
        "姓名、证件号码、性别、民族和有效期均为必填。",
    ),
}


def error_text(code: str) -> tuple[str, str]:
    """The zh-CN (what, next step) for an error code; a generic pair for unknown codes."""
    return ERROR_TEXT.get(code, ("读卡出错。", AGAIN + "如仍失败，" + STAFF))


def mask_id(number: str) -> str:
    """First 6 and last 4 characters shown (the same rule as on paper)."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def validity_text(holder: CardHolder) -> str:
    """``2019.03.01 - 2039.03.01`` or ``2012.04.20 - 长期``."""
    end = "长期" if holder.valid_to is None else holder.valid_to.strftime("%Y.%m.%d")
    return f"{holder.valid_from.strftime('%Y.%m.%d')} - {end}"


class IdCardScreen(Screen[None]):
    """Identify the agent by their resident ID card.

    Args:
        manual: the manual-entry port (None hides the staff button).
    """

    DEFAULT_CSS = """
    IdCardScreen { align: center middle; }
    #idcard-box { width: 72; height: auto; border: round $primary; padding: 1 2; }
    #idcard-title { text-style: bold; content-align: center middle; width: 100%; }
    #idcard-title-en { color: $text-muted; content-align: center middle; width: 100%; }
    #idcard-reader { margin-top: 1; }
    #idcard-result { margin-top: 1; height: auto; }
    #idcard-error { margin-top: 1; color: $error; height: auto; }
    #idcard-actions { margin-top: 1; height: auto; }
    """

    #: ``waiting`` (no reader yet), ``ready``, ``reading``, ``read``, ``failed``, ``unavailable``.
    state: reactive[str] = reactive("waiting")
    #: Staff signed in: the manual-entry button works.
    staff_mode: reactive[bool] = reactive(False)

    def __init__(self, manual: ManualEntryPort | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.manual = manual
        self.holder: CardHolder | None = None
        self.error_code: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="idcard-box"):
            yield Static("请将身份证放在读卡区", id="idcard-title")
            yield Static("Place your ID card on the reader", id="idcard-title-en")
            yield Static("读卡器连接中… Connecting to the reader…", id="idcard-reader")
            yield Static("", id="idcard-result")
            yield Static("", id="idcard-error")
            with Horizontal(id="idcard-actions"):
                yield Button("确认 Confirm", id="idcard-confirm", variant="success", disabled=True)
                if self.manual is not None:
                    yield Button("工作人员手工录入 Staff entry", id="idcard-manual", disabled=True)

    # -- device messages --------------------------------------------------------------------
    def on_reader_ready(self, message: ReaderReady) -> None:
        self.state = "ready"
        self._reader(f"读卡器就绪 Reader ready {message.description}".rstrip())

    def on_reader_unavailable(self, message: ReaderUnavailable) -> None:
        self.state = "unavailable"
        what, step = error_text(message.code)
        self._reader(f"读卡器不可用 Reader unavailable: {what}")
        self._error(message.code, f"{what}{step}\n{message.message}")

    def on_card_placed(self, _message: CardPlaced) -> None:
        self.state = "reading"
        self._reader("正在读卡，请勿移动身份证… Reading, keep the card still…")
        self._error(None, "")
        self._show(None)

    def on_card_read(self, message: CardRead) -> None:
        self.state = "read"
        self._reader("读卡成功 Card read")
        self._show(message.holder)

    def on_card_failed(self, message: CardFailed) -> None:
        self.state = "failed"
        self._reader("读卡失败 Card not accepted")
        what, step = error_text(message.code)
        self._show(None)
        self._error(message.code, f"{what}{step}\n{message.message}")

    def on_card_taken_away(self, _message: CardTakenAway) -> None:
        if self.state in ("reading", "failed"):
            self.state = "ready"
        self._reader("身份证已移开 Card removed")

    # -- view -------------------------------------------------------------------------------
    def _reader(self, text: str) -> None:
        self.query_one("#idcard-reader", Static).update(text)

    def _error(self, code: str | None, text: str) -> None:
        self.error_code = code
        self.query_one("#idcard-error", Static).update(text)

    def _show(self, holder: CardHolder | None) -> None:
        self.holder = holder
        result = self.query_one("#idcard-result", Static)
        if holder is None:
            result.update("")
        else:
            result.update(
                f"姓名 Name      {holder.name}\n"
                f"证件号码 ID    {mask_id(holder.id_number)}\n"
                f"有效期限 Valid {validity_text(holder)}"
            )
        self.query_one("#idcard-confirm", Button).disabled = holder is None

    def watch_staff_mode(self, staff: bool) -> None:
        if self.manual is not None and self.is_mounted:
            self.query_one("#idcard-manual", Button).disabled = not staff

    def on_mount(self) -> None:
        self.watch_staff_mode(self.staff_mode)

    # -- actions ----------------------------------------------------------------------------
    @on(Button.Pressed, "#idcard-confirm")
    def _confirm(self) -> None:
        if self.holder is not None:
            self.post_message(AgentIdentified(self.holder, "card"))

    @on(Button.Pressed, "#idcard-manual")
    def _manual(self) -> None:
        if self.manual is None or not self.staff_mode:
            return

        def done(holder: CardHolder | None) -> None:
            if holder is not None:
                self.state = "read"
                self._error(None, "")
                self._show(holder)
                self.post_message(AgentIdentified(holder, "manual"))

        self.app.push_screen(ManualEntryScreen(self.manual), done)


class ManualEntryScreen(ModalScreen["CardHolder | None"]):
    """Staff enter the agent by hand; the same validation as a card read."""

    DEFAULT_CSS = """
    ManualEntryScreen { align: center middle; }
    #manual-box { width: 72; height: auto; border: thick $warning; padding: 1 2; }
    #manual-box Input, #manual-box Select { margin-bottom: 0; }
    #manual-error { color: $error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "取消 Cancel")]

    def __init__(self, port: ManualEntryPort) -> None:
        super().__init__()
        self.port = port
        self.error_code: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="manual-box"):
            yield Label("工作人员手工录入经办人 Staff: enter the agent by hand")
            yield Input(placeholder="姓名 Name", id="manual-name")
            yield Input(placeholder="公民身份号码 ID number (18)", id="manual-id", max_length=18)
            yield Select([("男 Male", "1"), ("女 Female", "2")], prompt="性别 Sex", id="manual-sex")
            yield Select(
                [(f"{name} ({code})", code) for code, name in self.port.nations.items()],
                prompt="民族 Nation",
                id="manual-nation",
            )
            yield Input(placeholder="有效期起 Valid from YYYY-MM-DD", id="manual-from")
            yield Input(placeholder="有效期止 Valid to YYYY-MM-DD 或 长期", id="manual-to")
            yield Static("", id="manual-error")
            with Horizontal():
                yield Button("保存 Save", id="manual-save", variant="primary")
                yield Button("取消 Cancel", id="manual-cancel")

    def form(self) -> dict[str, str]:
        """The form's current values."""

        def sel(widget_id: str) -> str:
            value = self.query_one(widget_id, Select).value
            return value if isinstance(value, str) else ""

        return {
            "name": self.query_one("#manual-name", Input).value.strip(),
            "id_number": self.query_one("#manual-id", Input).value.strip().upper(),
            "sex": sel("#manual-sex"),
            "nation": sel("#manual-nation"),
            "valid_from": self.query_one("#manual-from", Input).value.strip(),
            "valid_to": self.query_one("#manual-to", Input).value.strip(),
        }

    @on(Button.Pressed, "#manual-save")
    def save(self) -> None:
        """Validate; dismiss with the holder, or show the error in words."""
        try:
            holder = self.port.validate(self.form())
        except KioskError as e:
            self.error_code = e.code
            what, _step = error_text(e.code)
            self.query_one("#manual-error", Static).update(f"{what}\n{e.message}")
            return
        self.dismiss(holder)

    @on(Button.Pressed, "#manual-cancel")
    def action_cancel(self) -> None:
        """Close without an agent."""
        self.dismiss(None)
