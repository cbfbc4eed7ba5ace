"""Shared pieces of the visit-flow tests: visit inputs, the combinations kiosk.toml allows."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

from hardware.idcard.validation import today_in_shanghai
from kiosk.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
IMPRINT = ROOT / "hardware" / "sim" / "imprints" / "good.jpg"
_uscc_n = itertools.count(1)

AGENT = {
    "name": "张三",
    "id_number": "11010519491231002X",
    "mobile": "13800138000",
    # relative to today: the visit refuses an agent whose ID card has expired on the day it runs
    "id_valid_to": (today_in_shanghai() + dt.timedelta(days=3650)).isoformat(),
}


def uscc_with_check(body17: str) -> str:
    """A valid USCC for 17 given characters (GB 32100 check character)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = sum(alphabet.index(c) * w for c, w in zip(body17, weights, strict=True))
    return body17 + alphabet[(31 - s % 31) % 31]


def fresh_uscc() -> str:
    return uscc_with_check(f"91441900MA{next(_uscc_n):07d}")


def inputs(
    kind: str,
    *,
    uscc: str | None = None,
    method: str = "card",
    ref: str | None = None,
    seal_type: str = "official",
    pin: str | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"agent": dict(AGENT)}
    if kind != "individual":
        doc["unit"] = {
            "name": "东莞测试有限公司",
            "uscc": uscc or fresh_uscc(),
            "legal_rep": "李四",
            "unit_type": "enterprise",
        }
    doc["seal_image"] = {"path": str(IMPRINT), "seal_type": seal_type, "px_per_mm": 7.5}
    doc["payment"] = {"method": method, "reference": ref or f"T{next(_uscc_n):05d}"}
    if pin:
        doc["key"] = {"pin": pin}
    return doc


def combinations() -> list[tuple[str, str, str]]:
    """(program, kind, service) for every combination the shipped kiosk.toml offers."""
    s = load_settings(None)
    out = []
    for pid in s.program_ids():
        p = s.program(pid)
        for k in p.kinds:
            for svc in p.services:
                out.append((pid, k.value, svc.value))
    return out
