"""The receipt printer's documents: the receipt, the PIN slip, the test page and the day report.

A :class:`ReceiptData` holds everything printed (and is what a print job stores); the builders
turn it into a :class:`~hardware.printer.doc.Doc` for a number of columns. The printer renders
that Doc to ESC/POS; the preview widget shows ``Doc.preview_lines()``: the same lines. The day
report (Z or X) is laid out from its stored JSON (``kiosk.dayclose.close.day_report``'s dict),
so the print queue prints it without importing the day close.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hardware.printer.doc import Cut, Doc, Element, Feed, Line, Qr, pair, wrap
from kiosk.domain.payment import PaymentMethod
from kiosk.payments.money import yuan

METHOD_LABELS: dict[str, tuple[str, str]] = {m.value: (m.zh, m.en) for m in PaymentMethod}
STATE_LABELS: dict[str, str] = {
    "pending": "待确认 Pending",
    "paid": "已付款 Paid",
    "partially_refunded": "部分退款 Part refunded",
    "refunded": "已退款 Refunded",
    "cancelled": "已取消 Cancelled",
}


@dataclass(frozen=True, slots=True)
class ReceiptItem:
    """One fee line: ``amount_fen`` is the line's total; ``quantity`` shows as ×N (years)."""

    label_zh: str
    label_en: str
    amount_fen: int
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class ReceiptData:
    """Everything a receipt shows. Stored as JSON in its print job; rendered at print time."""

    counter_name: str
    counter_address: str
    order_no: str
    paid_at: str  # UTC ISO-8601 with Z; printed in the counter's time zone
    service_zh: str
    program_zh: str
    kind_zh: str
    years: int | None
    items: tuple[ReceiptItem, ...]
    total_fen: int
    method: str
    reference: str
    staff_no: str
    state: str = "paid"
    payer: str = ""
    transfer_remark: str = ""
    hotline: str = ""
    refunded_fen: int = 0
    timezone: str = "Asia/Shanghai"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ReceiptData:
        """Back from the stored form."""
        raw = json.loads(text)
        raw["items"] = tuple(ReceiptItem(**i) for i in raw["items"])
        return cls(**raw)

    def local_time(self) -> str:
        """``paid_at`` as the counter's clock shows it: ``2026-11-21 10:32:05``."""
        at = datetime.strptime(self.paid_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return at.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M:%S")


def _rule(columns: int) -> Line:
    return Line("-" * columns)


def build_receipt(data: ReceiptData, *, columns: int, reprint: bool = False) -> Doc:
    """The receipt (收费凭证) for ``columns`` half-width columns.

    Shows the counter's name and address, the order number, date and time (counter's time
    zone), service, program, certificate kind and years, the payer, each fee, the total, the
    method and its reference, the payment state, the staff number, the transfer remark when
    paid by transfer, "重打" on a reprint, and a QR code of the order number.
    """
    el: list[Element] = []
    for ln in wrap(data.counter_name, columns):
        el.append(Line(ln, "center", bold=True))
    for ln in wrap(data.counter_address, columns):
        el.append(Line(ln, "center"))
    el.append(Feed())
    el.append(Line("收费凭证 RECEIPT", "center", big=True))
    if reprint:
        el.append(Line("** 重打 REPRINT **", "center", bold=True))
    el.append(_rule(columns))
    facts = [
        ("订单号 Order", data.order_no),
        ("时间 Time", data.local_time()),
        ("业务 Service", data.service_zh),
        ("项目 Program", data.program_zh),
    ]
    kind = data.kind_zh + (f" {data.years}年" if data.years else "")
    if kind.strip():
        facts.append(("证书 Kind", kind))
    for label, value in facts:
        el.append(Line(pair(label, value, columns)))
    if data.payer:
        el.append(Line("付款方 Payer"))
        for ln in wrap(data.payer, columns - 2):
            el.append(Line("  " + ln))
    el.append(_rule(columns))
    for item in data.items:
        label = item.label_zh + (f" ×{item.quantity}" if item.quantity > 1 else "")
        el.append(Line(pair(label, yuan(item.amount_fen), columns)))
    el.append(_rule(columns))
    el.append(Line(pair("合计 Total", yuan(data.total_fen), columns), bold=True))
    zh, en = METHOD_LABELS.get(data.method, (data.method, data.method))
    el.append(Line(pair("支付方式 Method", f"{zh} {en}", columns)))
    if data.reference:
        el.append(Line(pair("参考号 Ref", data.reference, columns)))
    el.append(Line(pair("状态 Status", STATE_LABELS.get(data.state, data.state), columns)))
    if data.refunded_fen:
        el.append(Line(pair("已退 Refunded", yuan(data.refunded_fen), columns)))
    el.append(Line(pair("受理员 Staff", data.staff_no or "-", columns)))
    if data.method == "transfer" and data.transfer_remark:
        el.append(Line(pair("转账备注 Remark", data.transfer_remark, columns)))
    el.append(_rule(columns))
    if data.hotline:
        el.append(Line(f"服务热线 Hotline {data.hotline}", "center"))
    el.append(Qr(data.order_no))
    el.append(Cut())
    return Doc(columns, tuple(el))


def build_pin_slip(*, order_no: str, pin: str, token_serial: str, columns: int) -> Doc:
    """The PIN slip: the key's initial PIN, the instruction to change it, the lock warning.

    Printed once, never stored: the caller must not keep the Doc or its bytes.
    """
    el: list[Element] = [
        Line("USB KEY 初始密码 INITIAL PIN", "center", bold=True),
        _rule(columns),
        Line(pair("订单号 Order", order_no, columns)),
        Line(pair("介质 Key", token_serial, columns)),
        Feed(),
        Line(pin, "center", big=True),
        Feed(),
    ]
    for text in (
        "请立即修改初始密码（建议8位以上，含大小写字母、数字和符号）。",
        "Change this PIN at once (8+ characters: upper and lower case, digits, symbols).",
        "连续输错密码超过10次，USB Key将被锁死，需到柜台解锁。",
        "More than 10 wrong PINs in a row lock the key; unlocking is a counter service.",
        "本凭条只打印一次，不能重打，请妥善保管。",
        "This slip is printed once and never again: keep it safe.",
    ):
        el.extend(Line(ln) for ln in wrap(text, columns))
    el.append(Cut())
    return Doc(columns, tuple(el))


def build_test_page(
    *, columns: int, printer: str, now_utc: str, timezone: str = "Asia/Shanghai"
) -> Doc:
    """``kiosk print test``: Chinese text, full-width punctuation, a QR code and a cut."""
    at = datetime.strptime(now_utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    local = at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M:%S")
    el: list[Element] = [
        Line("打印测试 PRINTER TEST", "center", big=True),
        _rule(columns),
        Line(pair("打印机 Printer", printer, columns)),
        Line(pair("时间 Time", local, columns)),
        Line("中文：网证通电子认证中心（东莞）"),
        Line("标点：，。；：！？“”《》【】"),
        Line(pair("金额 Amount", yuan(120000), columns)),
        Line("|" + "=" * (columns - 2) + "|"),
        Qr("NETCA-PRINT-TEST"),
        Cut(),
    ]
    return Doc(columns, tuple(el))


def _report_yuan(fen: int) -> str:
    """Fen as yuan text without the sign of the currency: ``-123456`` -> ``-1,234.56``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def day_report_lines(report: Mapping[str, Any], width: int = 32) -> list[str]:
    """The Z- (or X-) report as receipt lines (the printer stand-in decodes them back)."""
    yuan_ = _report_yuan
    title = "日结报表 Z-REPORT" if report["report"] == "Z" else "日中报表 X-REPORT"
    lines = [title, f"日期 DATE {report['business_date']}", f"柜台 COUNTER {report['counter']}"]
    lines.append("-" * width)
    lines.append(f"受理 VISITS {report['visits']['total']}")
    for m in report["methods"]:
        lines.append(f"{m['name_zh']} {m['method'].upper()} ￥{yuan_(m['expected_fen'])}")
    t = report["totals"]
    lines.append(f"退费 REFUNDS ￥{yuan_(t['refunded_fen'])}")
    lines.append(f"合计 TOTAL ￥{yuan_(t['expected_fen'])}")
    keys = report.get("keys")
    if keys:
        lines.append(
            f"介质 KEYS {keys['opening']}+{keys['received']}-{keys['issued']}-{keys['spoiled']}"
            f"={keys['expected_closing']}"
        )
    for d in report.get("differences", []):
        if d["difference"]:
            shown = str(d["difference"]) if d["item"] == "keys" else f"￥{yuan_(d['difference'])}"
            lines.append(f"差异 DIFF {d['item'].upper()} {shown}")
    if report["report"] == "Z":
        lines.append(f"日结员 CLERK {report['clerk']}")
        if report.get("approver"):
            lines.append(f"复查员 APPROVER {report['approver']}")
    lines.append("-" * width)
    return lines


def build_day_report(report: Mapping[str, Any], *, columns: int) -> Doc:
    """The day report for ``columns`` columns: one text line per report line, then a cut."""
    lines = day_report_lines(report, width=columns)
    elements: list[Element] = [Line(lines[0], align="center", bold=True)]
    elements += [Line(t) for t in lines[1:]]
    elements += [Feed(3), Cut()]
    return Doc(columns, tuple(elements))
