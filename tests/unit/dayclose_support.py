"""Test data for the day close: visits, payments, refunds and key stock on a business day.

Payments, refunds and key stock are written through the tables their areas create; where an area
has not landed yet, the expected table from ``kiosk.dayclose_source.EXPECTED_TABLES`` stands in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from kiosk.dayclose_source import create_missing_expected_tables

SHANGHAI = ZoneInfo("Asia/Shanghai")
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"


def at(day: date, hh: int, mm: int = 0) -> str:
    """A local counter time of a day, as stored (UTC)."""
    return datetime.combine(day, time(hh, mm), SHANGHAI).astimezone(UTC).strftime(FMT)


class Ledger:
    """Writes a day's business into the store as the other areas would."""

    def __init__(self, store):
        self.store = store
        self.db = store.db
        create_missing_expected_tables(self.db)
        self.n = 0

    def visit(self, day, hh, service="new", program="dongguan-hpf", state="done", training=0):
        self.n += 1
        ts = at(day, hh)
        order = f"DG-{day:%Y%m%d}-{self.n:04d}"
        cur = self.db.execute(
            "INSERT INTO visits (order_no, service, program, kind, state, training, created_at,"
            " updated_at) VALUES (?, ?, ?, 'org', ?, ?, ?, ?)",
            [order, service, program, state, training, ts, ts],
        )
        return cur.lastrowid, order

    def pay(self, visit_id, day, hh, method, fen, state="succeeded"):
        cur = self.db.execute(
            "INSERT INTO payments (visit_id, method, amount_fen, state, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [visit_id, method, fen, state, at(day, hh)],
        )
        return cur.lastrowid

    def refund(self, payment_id, day, hh, fen):
        self.db.execute(
            "INSERT INTO refunds (payment_id, amount_fen, state, created_at)"
            " VALUES (?, ?, 'succeeded', ?)",
            [payment_id, fen, at(day, hh)],
        )

    def keys(self, day, hh, movement, quantity):
        self.db.execute(
            "INSERT INTO key_stock (movement, quantity, at) VALUES (?, ?, ?)",
            [movement, quantity, at(day, hh)],
        )
