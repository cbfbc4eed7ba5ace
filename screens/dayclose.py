"""The clerk's day close (日结): expected totals, counted figures, differences, close.

The clerk sees the X-report's expected figure per payment method and the key stock, types what
was counted (yuan with at most two decimals on screen, fen inside), ticks the in-flight items to
carry over, writes a note, and closes. Differences beyond the threshold open the approval modal
for a supervisor (never the clerk). Every call goes to the staff area in a thread worker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from textual import work
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, DataTable, Input

from kiosk.errors import KioskError, UsageError
from screens.approval import ApprovalModal
from screens.base import KioskScreen
from screens.host import current_lang
from screens.i18n import Bi, bi, t
from screens.staff import error_bi, literal_bi
from screens.staff_port import StaffPort
from screens.widgets.text import LangButton, LangText

METHOD_KEYS = {
    "card": "staff.method_card",
    "wechat": "staff.method_wechat",
    "alipay": "staff.method_alipay",
    "transfer": "staff.method_transfer",
}
_YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")


def yuan_to_fen(text: str, label: str) -> int:
    """``"1234.5"`` -> 123450; refuses negatives, more than two decimals, and non-numbers.

    Raises:
        UsageError: ``day.bad_counted`` naming the field.
    """
    cleaned = text.strip().replace(",", "")
    if not _YUAN.match(cleaned):
        raise UsageError(
            f"{label}: {text!r} is not an amount in yuan with at most two decimals",
            code="day.bad_counted",
        )
    whole, _, cents = cleaned.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def fen_to_yuan(fen: int) -> str:
    """123450 -> ``"1,234.50"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


class DayCloseScreen(KioskScreen):
    """日结 End-of-day close."""

    HINTS = ("keys.back", "keys.language")

    class ReportLoaded(Message):
        """The day's X-report (or stored Z-report) arrived."""

        def __init__(self, report: dict[str, Any]) -> None:
            super().__init__()
            self.report = report

    class Checked(Message):
        """The preview of the close arrived."""

        def __init__(self, preview: Any, counted: dict[str, Any], close: bool) -> None:
            super().__init__()
            self.preview = preview
            self.counted = counted
            self.close = close

    class Closed(Message):
        """The day was closed; the Z-report and the files written."""

        def __init__(self, report: dict[str, Any], files: dict[str, str]) -> None:
            super().__init__()
            self.report = report
            self.files = files

    class Failed(Message):
        """A step of the close was refused."""

        def __init__(self, error: KioskError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, port: StaffPort, day: date | None = None) -> None:
        super().__init__(name="day-close")
        self.port = port
        self.day = day or port.today()
        self.report: dict[str, Any] | None = None

    def compose_body(self) -> Iterable[Widget]:
        # Expected figures on the left, counted figures on the right, the verdict and the
        # buttons always in view below (the kiosk's 36 rows hold no single long column).
        with Horizontal(id="day"):
            with VerticalScroll(id="day-left"):
                yield LangText(
                    "staff.day_heading", values={"date": self.day.isoformat()}, classes="heading"
                )
                yield DataTable(id="day-expected", cursor_type="none", zebra_stripes=True)
                yield VerticalScroll(id="day-carry")
            with VerticalScroll(id="day-right"):
                yield LangText("staff.day_counted", classes="field-label")
                for method, key in METHOD_KEYS.items():
                    with Horizontal(classes="count-row"):
                        yield LangText(key)
                        yield Input(id=f"count-{method}", placeholder="0.00", restrict=r"[0-9.,]*")
                with Horizontal(classes="count-row", id="keys-row"):
                    yield LangText("staff.day_keys")
                    yield Input(id="count-keys", placeholder="0", restrict=r"[0-9]*")
                yield LangText("staff.day_note", classes="field-label")
                yield Input(id="day-note", max_length=200)
        yield LangText(Bi("", ""), id="day-message", classes="notice")
        with Horizontal(id="nav"):
            yield LangButton("nav.back", id="back", classes="nav")
            yield LangButton("staff.day_check", id="check", classes="nav")
            yield LangButton("staff.day_close", id="close", classes="nav", variant="warning")

    def on_mount(self) -> None:
        lang = current_lang(self)
        table = self.query_one("#day-expected", DataTable)
        table.add_columns(
            t("staff.day_item", lang), t("staff.day_expected", lang), t("staff.day_count", lang)
        )
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-load")
    def _load(self) -> None:
        try:
            self.post_message(self.ReportLoaded(self.port.day_report(self.day)))
        except KioskError as e:
            self.post_message(self.Failed(e))

    def on_day_close_screen_report_loaded(self, message: ReportLoaded) -> None:
        lang = current_lang(self)
        r = self.report = message.report
        table = self.query_one("#day-expected", DataTable)
        table.clear()
        for m in r["methods"]:
            table.add_row(
                t(METHOD_KEYS[m["method"]], lang),
                fen_to_yuan(m["expected_fen"]),
                str(m["payments"]),
                key=m["method"],
            )
        table.add_row(
            t("staff.day_total", lang), fen_to_yuan(r["totals"]["expected_fen"]), "", key="total"
        )
        keys = r.get("keys")
        if keys:
            table.add_row(
                t("staff.day_keys", lang),
                f"{keys['opening']}+{keys['received']}-{keys['issued']}-{keys['spoiled']}"
                f"={keys['expected_closing']}",
                "",
                key="keys",
            )
        else:
            self.query_one("#keys-row").display = False
        carry = self.query_one("#day-carry", VerticalScroll)
        carry.remove_children()
        flight = r["in_flight"]
        boxes: list[Widget] = [
            Checkbox(
                bi("staff.day_carry_visit").format(order=v).get(lang), id=f"carry-v-{i}", name=v
            )
            for i, v in enumerate(flight["visits"])
        ]
        boxes += [
            Checkbox(
                bi("staff.day_carry_payment").format(id=p).get(lang), id=f"carry-p-{p}", name=str(p)
            )
            for p in flight["payments"]
        ]
        if boxes:
            carry.mount(LangText("staff.day_in_flight"), *boxes)
        if r["report"] == "Z":
            self._say("staff.day_is_closed")
            self.query_one("#close", LangButton).disabled = True
            self.query_one("#check", LangButton).disabled = True

    def _say(self, text: Bi | str, values: dict[str, object] | None = None) -> None:
        self.query_one("#day-message", LangText).set_text(text, values)

    def _counted(self) -> dict[str, Any]:
        lang = current_lang(self)
        methods = {}
        for method, key in METHOD_KEYS.items():
            value = self.query_one(f"#count-{method}", Input).value or "0"
            methods[method] = yuan_to_fen(value, t(key, lang))
        boxes = list(self.query(Checkbox))
        counted: dict[str, Any] = {
            "methods": methods,
            "note": self.query_one("#day-note", Input).value.strip(),
            "carry_over": {
                "visits": [
                    b.name for b in boxes if b.value and (b.id or "").startswith("carry-v-")
                ],
                "payments": [
                    int(b.name or 0)
                    for b in boxes
                    if b.value and (b.id or "").startswith("carry-p-")
                ],
            },
        }
        if self.report and self.report.get("keys") is not None:
            counted["keys_in_stock"] = int(self.query_one("#count-keys", Input).value or "0")
        return counted

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.action_back()
            return
        try:
            counted = self._counted()
        except KioskError as e:
            self._say(error_bi(e))
            return
        self._check(counted, event.button.id == "close")

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-check")
    def _check(self, counted: dict[str, Any], close: bool) -> None:
        try:
            preview = self.port.preview_close(self.day, counted)
        except KioskError as e:
            self.post_message(self.Failed(e))
            return
        self.post_message(self.Checked(preview, counted, close))

    def _differences(self, preview: Any) -> list[Bi]:
        """Difference lines as plain text (escape with ``literal_bi`` before showing)."""
        lines = []
        for d in preview.differences:
            if d["difference"]:
                amount = (
                    str(d["difference"]) if d["item"] == "keys" else fen_to_yuan(d["difference"])
                )
                line = bi("staff.day_diff").format(item=d["item"], amount=amount)
                if d["over_threshold"]:
                    over = bi("staff.day_over")
                    line = Bi(line.zh + over.zh, line.en + over.en)
                lines.append(line)
        return lines

    def on_day_close_screen_checked(self, message: Checked) -> None:
        pv = message.preview
        diffs = self._differences(pv)
        joined = literal_bi("\n".join(d.zh for d in diffs), "\n".join(d.en for d in diffs))
        if pv.blocking:
            carry = message.counted.get("carry_over", {})
            flight = pv.report["in_flight"]
            items = [
                bi("staff.day_open_visit").format(order=v)
                for v in flight["visits"]
                if v not in carry.get("visits", [])
            ]
            items += [
                bi("staff.day_pending_payment").format(id=p)
                for p in flight["payments"]
                if p not in carry.get("payments", [])
            ]
            head = bi("staff.day_blocked")
            zh = "\n".join([head.zh, *(i.zh for i in items)])
            en = "\n".join([head.en, *(i.en for i in items)])
            self._say(literal_bi(zh, en))
            return
        # What the provider's bill said about WeChat Pay / Alipay (or why the typed figures
        # stand): the port's qr_notes after the preview (English, from the day close area).
        qr = tuple(getattr(self.port, "qr_notes", ()) or ())
        if qr:
            zh = "\n".join(f"扫码收款核对：{n}" for n in qr)
            en = "\n".join(f"QR check: {n}" for n in qr)
            joined = literal_bi(
                "\n".join([*(d.zh for d in diffs), zh]), "\n".join([*(d.en for d in diffs), en])
            )
        if not message.close:
            self._say(joined if diffs or qr else "staff.day_no_diff")
            return
        counted = message.counted
        if not pv.needs_approval:
            self._close(counted, None)
            return
        if not counted.get("note"):
            note = bi("staff.day_note")
            self._say(Bi(note.zh + "\n" + joined.zh, note.en + "\n" + joined.en))
            return

        def approved(approver_no: Any) -> None:
            if approver_no:
                self._close(counted, str(approver_no))

        summary = [literal_bi(d.zh, d.en) for d in diffs]
        summary.append(literal_bi(counted["note"], counted["note"]))
        modal = ApprovalModal(
            "staff.approval_day",
            summary,
            lambda no, pin, ok: self.port.authenticate_approver(no, pin),
            can_reject=False,
        )
        self.app.push_screen(modal, approved)

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-close")
    def _close(self, counted: dict[str, Any], approver_no: str | None) -> None:
        try:
            z = self.port.close_day(self.day, counted, approver_no)
        except KioskError as e:
            self.post_message(self.Failed(e))
            return
        try:
            files = self.port.write_reports(z)
        except KioskError as e:
            files = {"error": e.message}
        self.post_message(self.Closed(z, files))

    def on_day_close_screen_closed(self, message: Closed) -> None:
        self.report = message.report
        self.query_one("#close", LangButton).disabled = True
        self.query_one("#check", LangButton).disabled = True
        done = bi("staff.day_closed").format(date=message.report["business_date"])
        where = "\n".join(f"{k}: {v}" for k, v in message.files.items())
        self._say(literal_bi(f"{done.zh}\n{where}".strip(), f"{done.en}\n{where}".strip()))

    def on_day_close_screen_failed(self, message: Failed) -> None:
        self._say(error_bi(message.error))
