"""The clerk's day-close screen (日结): expected totals, counted figures, differences, close.

The clerk sees the X-report's expected figure per payment method and the key stock, types what
was counted (yuan with at most two decimals on screen; fen inside), ticks the in-flight items to
carry over, writes a note, and closes. Differences beyond the threshold open the approval modal
for a supervisor (not the clerk). Every call goes to the staff area's port in a thread worker.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar, Protocol

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, DataTable, Input, Static

from kiosk.errors import KioskError, UsageError
from screens.approval import ApprovalModal
from screens.staff_signin import error_text

METHODS = (
    ("card", "刷卡 Card"),
    ("wechat", "微信 WeChat"),
    ("alipay", "支付宝 Alipay"),
    ("transfer", "转账 Transfer"),
)
_YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")


def yuan_to_fen(text: str, label: str) -> int:
    """``"1234.5"`` -> 123450; refuses negatives, more than two decimals, and non-numbers.

    Raises:
        UsageError: ``day.bad_counted`` naming the field.
    """
    t = text.strip().replace(",", "")
    if not _YUAN.match(t):
        raise UsageError(
            f"{label}: {text!r} is not an amount in yuan with at most two decimals",
            code="day.bad_counted",
        )
    whole, _, cents = t.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def fen_to_yuan(fen: int) -> str:
    """123450 -> ``"1,234.50"``."""
    sign = "-" if fen < 0 else ""
    w, c = divmod(abs(fen), 100)
    return f"{sign}{w:,}.{c:02d}"


class DayPort(Protocol):
    """The calls this screen makes (``kiosk.staff_service.StaffService``)."""

    def today(self) -> date: ...

    def day_report(self, day: date) -> dict[str, Any]: ...

    def preview_close(self, day: date, counted: dict[str, Any]) -> Any: ...

    def authenticate_approver(self, staff_no: str, pin: str) -> str: ...

    def close_day(
        self, day: date, counted: dict[str, Any], approver_no: str | None = None
    ) -> dict[str, Any]: ...

    def write_reports(self, report: dict[str, Any]) -> dict[str, str]: ...


class ReportLoaded(Message):
    """The day's X-report (or stored Z-report) arrived."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__()
        self.report = report


class CloseChecked(Message):
    """The preview of the close arrived."""

    def __init__(self, preview: Any, counted: dict[str, Any], close: bool) -> None:
        super().__init__()
        self.preview = preview
        self.counted = counted
        self.close = close


class DayClosed(Message):
    """The day was closed; the Z-report and the files written."""

    def __init__(self, report: dict[str, Any], files: dict[str, str]) -> None:
        super().__init__()
        self.report = report
        self.files = files


class DayFailed(Message):
    """A step of the close was refused."""

    def __init__(self, error: KioskError) -> None:
        super().__init__()
        self.error = error


class DayCloseScreen(Screen[Any]):
    """日结 End-of-day close."""

    DEFAULT_CSS = """
    #day { padding: 0 2; }
    #day-expected { height: auto; max-height: 12; margin-bottom: 1; }
    .count-row { height: auto; }
    .count-row Static { width: 20; padding-top: 1; }
    .count-row Input { width: 24; }
    #day-message { height: auto; min-height: 2; color: $error; }
    #day-message.info { color: $success; }
    #day-buttons { height: auto; }
    #day-buttons Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", show=False)]

    def __init__(self, port: DayPort, day: date | None = None) -> None:
        super().__init__(name="day-close")
        self.port = port
        self.day = day or port.today()
        self.report: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="day"):
            yield Static(f"日结 End-of-day close  {self.day.isoformat()}", id="day-heading")
            yield DataTable(id="day-expected", cursor_type="none", zebra_stripes=True)
            yield Static("清点 Counted (元 yuan)")
            for method, label in METHODS:
                with Horizontal(classes="count-row"):
                    yield Static(label)
                    yield Input(id=f"count-{method}", placeholder="0.00", restrict=r"[0-9.,]*")
            with Horizontal(classes="count-row"):
                yield Static("库存介质 Keys in stock")
                yield Input(id="count-keys", placeholder="0", restrict=r"[0-9]*")
            yield Static("说明 Note (差异必填 required for differences)")
            yield Input(id="day-note", max_length=200)
            yield Vertical(id="day-carry")
            yield Static("", id="day-message")
            with Horizontal(id="day-buttons"):
                yield Button("核对差异 Check", id="check")
                yield Button("日结 Close day", id="close", variant="warning")
                yield Button("返回 Back", id="back")

    def on_mount(self) -> None:
        table = self.query_one("#day-expected", DataTable)
        table.add_columns("项目 Item", "应收 Expected", "笔数 Count")
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-load")
    def _load(self) -> None:
        try:
            self.post_message(ReportLoaded(self.port.day_report(self.day)))
        except KioskError as e:
            self.post_message(DayFailed(e))

    def on_report_loaded(self, message: ReportLoaded) -> None:
        r = self.report = message.report
        table = self.query_one("#day-expected", DataTable)
        table.clear()
        for m in r["methods"]:
            table.add_row(
                m["name_zh"] + " " + m["method"],
                fen_to_yuan(m["expected_fen"]),
                str(m["payments"]),
                key=m["method"],
            )
        table.add_row("合计 Total", fen_to_yuan(r["totals"]["expected_fen"]), "", key="total")
        if r.get("keys"):
            k = r["keys"]
            table.add_row(
                "介质 Keys",
                f"{k['opening']}+{k['received']}-{k['issued']}-{k['spoiled']}={k['expected_closing']}",
                "",
                key="keys",
            )
        carry = self.query_one("#day-carry", Vertical)
        carry.remove_children()
        flight = r["in_flight"]
        boxes = [
            Checkbox(f"结转受理 Carry over visit {v}", id=f"carry-v-{i}", name=v)
            for i, v in enumerate(flight["visits"])
        ]
        boxes += [
            Checkbox(f"结转待付款 Carry over payment {p}", id=f"carry-p-{p}", name=str(p))
            for p in flight["payments"]
        ]
        if boxes:
            carry.mount(Static("进行中 In flight (结转需逐项勾选 tick each to carry over)"), *boxes)
        if r["report"] == "Z":
            self._say("该日已日结 This day is closed", info=True)
            self.query_one("#close", Button).disabled = True
            self.query_one("#check", Button).disabled = True

    def _say(self, text: str, *, info: bool = False) -> None:
        msg = self.query_one("#day-message", Static)
        msg.update(text)
        msg.set_class(info, "info")

    def _counted(self) -> dict[str, Any]:
        methods = {}
        for method, label in METHODS:
            value = self.query_one(f"#count-{method}", Input).value or "0"
            methods[method] = yuan_to_fen(value, label)
        keys_text = self.query_one("#count-keys", Input).value.strip()
        counted: dict[str, Any] = {
            "methods": methods,
            "note": self.query_one("#day-note", Input).value.strip(),
            "carry_over": {
                "visits": [
                    c.name
                    for c in self.query(Checkbox)
                    if c.id and c.id.startswith("carry-v-") and c.value
                ],
                "payments": [
                    int(c.name or 0)
                    for c in self.query(Checkbox)
                    if c.id and c.id.startswith("carry-p-") and c.value
                ],
            },
        }
        if self.report and self.report.get("keys") is not None:
            counted["keys_in_stock"] = int(keys_text or "0")
        return counted

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.action_back()
            return
        try:
            counted = self._counted()
        except KioskError as e:
            self._say(error_text(e))
            return
        self._check(counted, close=event.button.id == "close")

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-check")
    def _check(self, counted: dict[str, Any], close: bool) -> None:
        try:
            preview = self.port.preview_close(self.day, counted)
        except KioskError as e:
            self.post_message(DayFailed(e))
            return
        self.post_message(CloseChecked(preview, counted, close))

    def on_close_checked(self, message: CloseChecked) -> None:
        pv = message.preview
        lines = []
        for d in pv.differences:
            if d["difference"]:
                shown = (
                    str(d["difference"]) if d["item"] == "keys" else fen_to_yuan(d["difference"])
                )
                flag = " !" if d["over_threshold"] else ""
                lines.append(f"差异 Difference {d['item']}: {shown}{flag}")
        if pv.blocking:
            self._say("尚有未完成事项 Work in flight:\n" + "\n".join(pv.blocking))
            return
        if not message.close:
            self._say("\n".join(lines) or "无差异 No differences", info=not pv.needs_approval)
            return
        counted = message.counted
        if pv.needs_approval:
            if not counted.get("note"):
                self._say(
                    "差异超出阈值，请填写说明\nDifferences beyond the threshold need a note\n"
                    + "\n".join(lines)
                )
                return

            def approved(approver_no: Any) -> None:
                if approver_no:
                    self._close(counted, str(approver_no))

            self.app.push_screen(
                ApprovalModal(
                    "日结差异审批 Approve the close's differences",
                    [*lines, f"说明 Note: {counted['note']}"],
                    lambda no, pin, ok: self.port.authenticate_approver(no, pin),
                    can_reject=False,
                ),
                approved,
            )
            return
        self._close(counted, None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-close")
    def _close(self, counted: dict[str, Any], approver_no: str | None) -> None:
        try:
            z = self.port.close_day(self.day, counted, approver_no)
        except KioskError as e:
            self.post_message(DayFailed(e))
            return
        try:
            files = self.port.write_reports(z)
        except KioskError as e:
            files = {"error": e.message}
        self.post_message(DayClosed(z, files))

    def on_day_closed(self, message: DayClosed) -> None:
        self.report = message.report
        self.query_one("#close", Button).disabled = True
        self.query_one("#check", Button).disabled = True
        where = "\n".join(f"{k}: {v}" for k, v in message.files.items())
        self._say(f"已日结 Day closed: {message.report['business_date']}\n{where}", info=True)

    def on_day_failed(self, message: DayFailed) -> None:
        self._say(error_text(message.error))

    def action_back(self) -> None:
        """Leave the close screen."""
        self.dismiss(self.report)
