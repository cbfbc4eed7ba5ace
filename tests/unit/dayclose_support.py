"""Test data for the day close: visits, payments, refunds and key stock on a business day.

Payments, refunds and key stock are written through the tables their areas create; where an area
has not landed yet, the expected table from ``kiosk.dayclose.source.EXPECTED_TABLES`` stands in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from kiosk.dayclose.source import create_missing_expected_tables

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

    def pay(self, visit_id, day, hh, method, fen, state="paid"):
        """A payment as the payments area stores it (paid_at set once money is taken)."""
        self.n += 1
        paid_at = at(day, hh) if state in ("paid", "partially_refunded", "refunded") else None
        cols = {
            "visit_id": visit_id,
            "method": method,
            "amount_fen": fen,
            "state": state,
            "created_at": at(day, hh),
            "updated_at": at(day, hh),
            "paid_at": paid_at,
            "idempotency_key": f"pay-{self.n}",
            "quote_ref": f"q-{self.n}",
            "quote": "{}",
        }
        cur = self._insert("payments", cols)
        return cur.lastrowid

    def refund(self, payment_id, day, hh, fen):
        """A refund done (a new row pointing at the payment)."""
        self.n += 1
        self._insert(
            "refunds",
            {
                "payment_id": payment_id,
                "amount_fen": fen,
                "state": "done",
                "created_at": at(day, hh),
                "done_at": at(day, hh),
                "idempotency_key": f"refund-{self.n}",
                "reason": "test",
                "requested_by": "1001",
                "approved_by": "2001",
            },
        )

    def _insert(self, table, cols):
        """Insert the columns the table has (the real payments schema has more than we read)."""
        have = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
        use = {k: v for k, v in cols.items() if k in have}
        names = ", ".join(use)
        marks = ", ".join("?" for _ in use)
        return self.db.execute(
            f"INSERT INTO {table} ({names}) VALUES ({marks})", list(use.values())
        )

    def keys(self, day, hh, movement, quantity):
        """Key stock movements; issued keys through the keys area's transitions when present."""
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        if movement == "issued" and "key_transitions" in tables:
            for _ in range(quantity):
                self.n += 1
                self._insert(
                    "key_transitions",
                    {
                        "serial": f"K{self.n}",
                        "from_state": "blank",
                        "to_state": "formatted",
                        "actor": "1001",
                        "reason": "issue",
                        "at": at(day, hh),
                    },
                )
            return
        self.db.execute(
            "INSERT INTO key_stock (movement, quantity, at) VALUES (?, ?, ?)",
            [movement, quantity, at(day, hh)],
        )
