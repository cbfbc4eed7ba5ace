"""The day report as a person reads it: text table, CSV, JSON, PDF (fpdf2).

Every form is rendered from the same report dict (:func:`kiosk.dayclose.close.day_report`), so the
CSV, the PDF and the Z-report on paper (laid out by the receipt printer's area from the same
dict, ``kiosk.receipts.layout.build_day_report``) cannot disagree with the JSON. Amounts are fen
in the data and yuan with two decimals on paper (``￥`` U+FFE5, which GBK receipt printers print).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.domain.services import NAMES_ZH
from kiosk.errors import KioskError


def yuan(fen: int) -> str:
    """Fen as yuan text: ``123456`` -> ``1,234.56``; negative with a minus sign."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def rows(report: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """The report flattened to (section, item, figure, detail) rows: the CSV and the table."""
    out: list[tuple[str, str, str, str]] = []
    kind = "Z-report (closed)" if report["report"] == "Z" else "X-report (not closed)"
    out.append(("report", "kind", report["report"], kind))
    out.append(("report", "business_date", report["business_date"], report["counter"]))
    v = report["visits"]
    out.append(("visits", "total", str(v["total"]), ""))
    for state, n in sorted(v["by_state"].items()):
        out.append(("visits", state, str(n), ""))
    for m in report["methods"]:
        detail = (
            f"{m['payments']} paid {yuan(m['paid_fen'])}; "
            f"{m['refunds']} refunded {yuan(m['refunded_fen'])}"
        )
        if m["adjusted_fen"]:
            detail += f"; adjusted {yuan(m['adjusted_fen'])}"
        out.append(("method", m["method"], str(m["expected_fen"]), detail))
    t = report["totals"]
    out.append(("totals", "paid_fen", str(t["paid_fen"]), yuan(t["paid_fen"])))
    out.append(("totals", "refunded_fen", str(t["refunded_fen"]), yuan(t["refunded_fen"])))
    out.append(("totals", "expected_fen", str(t["expected_fen"]), yuan(t["expected_fen"])))
    for s in report["by_service"]:
        out.append(("service", s["service"], str(s["net_fen"]), f"{s['visits']} visits"))
    for p in report["by_program"]:
        out.append(("program", p["program"] or "-", str(p["net_fen"]), f"{p['visits']} visits"))
    keys = report.get("keys")
    if keys:
        for k in ("opening", "received", "issued", "spoiled", "adjusted", "expected_closing"):
            out.append(("keys", k, str(keys[k]), ""))
    for kind_, n in report.get("overrides", {}).items():
        out.append(("overrides", kind_, str(n), ""))
    for a in report.get("adjustments", []):
        out.append(
            (
                "adjustment",
                a["method"],
                str(a["amount_fen"]),
                f"corrects {a['refers_to']}: {a['reason']}",
            )
        )
    for vno in report["in_flight"]["visits"]:
        out.append(("in_flight", "visit", vno, "open"))
    for pid in report["in_flight"]["payments"]:
        out.append(("in_flight", "payment", str(pid), "pending"))
    for d in report.get("differences", []):
        flag = "OVER THRESHOLD" if d["over_threshold"] else ""
        show = str if d["item"] == "keys" else yuan
        out.append(
            (
                "difference",
                d["item"],
                str(d["difference"]),
                f"expected {show(d['expected'])} counted {show(d['counted'])} {flag}".strip(),
            )
        )
    if report["report"] == "Z":
        out.append(("close", "clerk", report["clerk"], report["closed_at"]))
        if report.get("approver"):
            out.append(("close", "approver", report["approver"], ""))
        if report.get("note"):
            out.append(("close", "note", "", report["note"]))
        co = report["counted"]["carry_over"]
        for vno in co["visits"]:
            out.append(("carried_over", "visit", vno, ""))
        for pid in co["payments"]:
            out.append(("carried_over", "payment", str(pid), ""))
    for src in report.get("missing_sources", []):
        out.append(("missing_source", src, "", "table not present: its figures are zero"))
    return out


SECTION_ZH = {
    "report": "报表",
    "visits": "受理",
    "method": "支付方式",
    "totals": "合计",
    "service": "业务",
    "program": "项目",
    "keys": "介质",
    "overrides": "人工干预",
    "adjustment": "调整",
    "in_flight": "进行中",
    "difference": "差异",
    "close": "日结",
    "carried_over": "结转",
    "missing_source": "缺数据",
}
ITEM_ZH = {
    "card": "刷卡",
    "wechat": "微信支付",
    "alipay": "支付宝",
    "transfer": "转账",
    "paid_fen": "收款",
    "refunded_fen": "退款",
    "expected_fen": "应收",
    "total": "总数",
    "opening": "期初",
    "received": "入库",
    "issued": "发出",
    "spoiled": "报废",
    "adjusted": "调整",
    "expected_closing": "应存",
    "clerk": "日结员",
    "approver": "复查员",
    "note": "说明",
    **NAMES_ZH,  # the services' names, defined once in the domain
}
_MONEY_SECTIONS = {"method", "totals", "service", "program", "adjustment", "difference"}


def _paper_row(row: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
    """A row for people: Chinese beside the codes, money in yuan (the CSV keeps fen)."""
    section, item, figure, detail = row
    money = section in _MONEY_SECTIONS and item != "keys" and figure.lstrip("-").isdigit()
    shown = yuan(int(figure)) if money else figure
    sec = f"{SECTION_ZH.get(section, '')} {section}".strip()
    it = f"{ITEM_ZH[item]} {item}" if item in ITEM_ZH else item
    return sec, it, shown, detail


def to_csv(report: Mapping[str, Any]) -> str:
    """CSV text (header: section,item,figure,detail); money figures in fen."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("section", "item", "figure", "detail"))
    w.writerows(rows(report))
    return buf.getvalue()


def to_json(report: Mapping[str, Any]) -> str:
    """Pretty JSON, Chinese kept as is."""
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True)


def to_table(report: Mapping[str, Any]) -> str:
    """A plain text table for the terminal."""
    table = [("section", "item", "figure", "detail"), *rows(report)]
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    lines = []
    for i, r in enumerate(table):
        lines.append("  ".join(c.ljust(widths[j]) for j, c in enumerate(r[:3])) + "  " + r[3])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ------")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def write_pdf(report: Mapping[str, Any], path: Path, font: Path) -> Path:
    """Write the report as a PDF with a CJK font embedded (fpdf2).

    Raises:
        KioskError: ``day.pdf_font`` when the font file is missing or unusable.
    """
    import logging

    from fpdf import FPDF
    from fpdf.fonts import FontFace

    # fontTools notes that it drops the TTC's bitmap strikes while subsetting: not our concern.
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

    if not Path(font).is_file():
        raise KioskError(
            f"PDF font {font} not found; install fonts-wqy-zenhei or set [day_close] pdf_font",
            code="day.pdf_font",
        )
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"{report['counter']} {report['business_date']} {report['report']}-report")
    pdf.set_creator("netca-counter-kiosk")
    try:
        pdf.add_font("cjk", fname=str(font))
    except Exception as e:  # fpdf2 raises several types for a bad font file
        raise KioskError(f"PDF font {font} unusable: {e}", code="day.pdf_font") from e
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    title = (
        "日结报表 Z-report" if report["report"] == "Z" else "日中报表 X-report (未结 not closed)"
    )
    pdf.cell(
        0,
        10,
        f"{title}  {report['business_date']}  {report['counter']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("cjk", size=9)
    # One regular CJK face only: the heading row is shaded, not bold.
    heading = FontFace(emphasis="", fill_color=(225, 225, 225))
    pdf.cell(0, 6, "金额单位：元 Amounts in yuan", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(
        col_widths=(30, 40, 28, 82),
        text_align=("LEFT", "LEFT", "RIGHT", "LEFT"),
        headings_style=heading,
    ) as table:
        header = ("栏目 section", "项目 item", "数额 figure", "说明 detail")
        for r in [header, *(_paper_row(x) for x in rows(report))]:
            row = table.row()
            for cell in r:
                row.cell(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def write_files(report: Mapping[str, Any], folder: Path, font: Path) -> dict[str, Path]:
    """Write ``<counter>-<date>-<X|Z>.csv/.json/.pdf`` into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{report['counter']}-{report['business_date']}-{report['report']}"
    out = {
        "csv": folder / f"{stem}.csv",
        "json": folder / f"{stem}.json",
        "pdf": folder / f"{stem}.pdf",
    }
    out["csv"].write_text(to_csv(report), encoding="utf-8")
    out["json"].write_text(to_json(report), encoding="utf-8")
    write_pdf(report, out["pdf"], font)
    return out
