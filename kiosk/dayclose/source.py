"""The day report's query layer: the one module that reads other areas' tables.

The end-of-day close needs the visits (skeleton, ``0001``), the payments and refunds (payments
area, ``0030``–``0039``) and the key stock (keys area, ``0010``–``0019``). Those areas are built in
parallel, so every query here names the columns it relies on, checks that the table is there,
and reports a missing table in :attr:`DayData.missing` instead of failing: the report then says
which figures it could not compute. When an area's schema differs from what is written here,
this module is the only place to change.

Expected columns (``table(column, ...)``; only these are read):

- ``visits(id, order_no, service, program, state, training, created_at)`` with ``state`` in
  ``open | done | failed | voided``; a visit belongs to the business day of its ``created_at``.
- ``payments(id, visit_id, method, amount_fen, state, created_at, paid_at)`` (payments area,
  ``0030_payments.sql``): ``method`` in ``card | wechat | alipay | transfer`` (刷卡, 微信, 支付宝,
  转账), ``amount_fen`` a positive integer, ``state`` in ``pending | paid | partially_refunded |
  refunded | cancelled``. Money taken counts on the day of ``paid_at`` (``created_at`` when
  empty) for the three states that took money; ``pending`` blocks the close.
- ``refunds(id, payment_id, amount_fen, state, created_at, done_at)``: a refund is a new row
  pointing at the payment (never an edit); its method is the payment's. ``done`` refunds count on
  the day of ``done_at`` (``created_at`` when empty).
- ``key_stock(movement, quantity, at)`` (this area, ``0041_key_stock.sql``): blank keys
  ``received`` and ``spoiled``, recorded by staff
  (:func:`kiosk.dayclose.close.record_key_movement`).
- ``key_transitions(from_state, to_state, at)`` (keys area, ``0010_keys.sql``): a blank key taken
  from stock is ``blank -> formatted``; a formatted key wiped before hand-over returns to stock
  (``formatted -> blank``). Keys issued = the first minus the second. Without that table, issued
  comes from ``key_stock`` rows with ``movement = 'issued'``.

Times are UTC ISO-8601 strings, compared as text against the day's UTC bounds (the counter's local
midnight to midnight), so the ``created_at`` indexes answer the range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

from kiosk.domain.payment import PAYMENT_METHODS

#: Payment methods at the counter, in report order.
METHODS = tuple(m.value for m in PAYMENT_METHODS)

# The payments area's states that mean money was taken, and its refund state that means returned.
_TAKEN = "p.state IN ('paid', 'partially_refunded', 'refunded')"
_PAID_AT = "coalesce(p.paid_at, p.created_at)"
_REFUNDED = "r.state = 'done'"
_DONE_AT = "coalesce(r.done_at, r.created_at)"


@dataclass(frozen=True, slots=True)
class DayData:
    """Everything the day report computes from, for one business day.

    Attributes:
        visits_by_state: number of visits per state.
        by_service: ``service -> (visits, net fen)``.
        by_program: ``program -> (visits, net fen)``.
        paid: ``method -> (count, fen)`` of payments that took money.
        refunded: ``method -> (count, fen)`` of refunds done.
        keys: ``received``, ``issued``, ``spoiled`` during the day and ``opening`` (before it).
        open_visits: order numbers of visits still mid-flight.
        pending_payments: ids of payments still pending.
        missing: tables that were not there (their figures are zero).
    """

    visits_by_state: dict[str, int] = field(default_factory=dict)
    by_service: dict[str, tuple[int, int]] = field(default_factory=dict)
    by_program: dict[str, tuple[int, int]] = field(default_factory=dict)
    paid: dict[str, tuple[int, int]] = field(default_factory=dict)
    refunded: dict[str, tuple[int, int]] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)
    open_visits: list[str] = field(default_factory=list)
    pending_payments: list[int] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _tables(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def load_day(
    db: sqlite_utils.Database, start_utc: str, end_utc: str, *, training: bool = False
) -> DayData:
    """Gather one business day's figures with a handful of aggregate queries.

    Args:
        db: a ``sqlite_utils.Database`` or ``sqlite3.Connection``.
        start_utc: the day's first instant, UTC ISO-8601 with ``Z`` (inclusive).
        end_utc: the next day's first instant (exclusive).
        training: report training-mode visits instead of real ones.
    """
    tables = _tables(db)
    data = DayData()
    span = (start_utc, end_utc)
    t = 1 if training else 0

    for state, n in db.execute(
        "SELECT state, count(*) FROM visits WHERE created_at >= ? AND created_at < ?"
        " AND training = ? GROUP BY state",
        (*span, t),
    ):
        data.visits_by_state[state] = n
    data.open_visits.extend(
        r[0]
        for r in db.execute(
            "SELECT order_no FROM visits WHERE created_at >= ? AND created_at < ?"
            " AND training = ? AND state = 'open' ORDER BY order_no",
            (*span, t),
        )
    )

    has_payments = "payments" in tables
    has_refunds = "refunds" in tables and has_payments
    if not has_payments:
        data.missing.append("payments")
    if "refunds" not in tables:
        data.missing.append("refunds")

    # Visits per service and program (by the visit's day).
    counts: dict[str, dict[str, int]] = {"service": {}, "program": {}}
    for service, program, n in db.execute(
        "SELECT coalesce(service, ''), coalesce(program, ''), count(*) FROM visits"
        " WHERE created_at >= ? AND created_at < ? AND training = ? GROUP BY service, program",
        (*span, t),
    ):
        counts["service"][service] = counts["service"].get(service, 0) + n
        counts["program"][program] = counts["program"].get(program, 0) + n

    # Money of the day: one pass over payments (the payments area indexes them by visit only, so
    # each pass is a scan; one pass, aggregated here, keeps the report fast) and one over refunds.
    # Net takings per service and program count by the payment's and refund's day, so they add
    # up to the per-method totals.
    money: dict[str, dict[str, int]] = {"service": {}, "program": {}}

    def book(kind: str, method: str, service: str, program: str, fen: int) -> None:
        target = data.paid if kind == "paid" else data.refunded
        n, total = target.get(method, (0, 0))
        target[method] = (n + 1, total + fen)
        signed = fen if kind == "paid" else -fen
        money["service"][service] = money["service"].get(service, 0) + signed
        money["program"][program] = money["program"].get(program, 0) + signed

    if has_payments:
        for pid, method, fen, state, service, program, taken_today in db.execute(
            "SELECT p.id, p.method, p.amount_fen, p.state, coalesce(v.service, ''),"
            f" coalesce(v.program, ''), ({_TAKEN} AND {_PAID_AT} >= ? AND {_PAID_AT} < ?)"
            " FROM payments p JOIN visits v ON v.id = p.visit_id AND v.training = ?"
            f" WHERE ({_TAKEN} AND {_PAID_AT} >= ? AND {_PAID_AT} < ?)"
            " OR (p.state = 'pending' AND p.created_at >= ? AND p.created_at < ?)"
            " ORDER BY p.id",
            (*span, t, *span, *span),
        ):
            if taken_today:
                book("paid", method, service, program, int(fen))
            elif state == "pending":
                data.pending_payments.append(pid)
    if has_refunds:
        for method, fen, service, program in db.execute(
            "SELECT p.method, r.amount_fen, coalesce(v.service, ''), coalesce(v.program, '')"
            " FROM refunds r JOIN payments p ON p.id = r.payment_id"
            " JOIN visits v ON v.id = p.visit_id AND v.training = ?"
            f" WHERE {_REFUNDED} AND {_DONE_AT} >= ? AND {_DONE_AT} < ?",
            (t, *span),
        ):
            book("refunded", method, service, program, int(fen))

    for column, target in (("service", data.by_service), ("program", data.by_program)):
        for key in sorted(set(counts[column]) | set(money[column])):
            target[key] = (counts[column].get(key, 0), money[column].get(key, 0))

    if "key_stock" in tables:
        from_transitions = "key_transitions" in tables

        def movements(where: str, args: tuple[str, ...]) -> dict[str, int]:
            out = {"received": 0, "issued": 0, "spoiled": 0}
            for movement, q in db.execute(
                f"SELECT movement, sum(quantity) FROM key_stock WHERE {where} GROUP BY movement",
                args,
            ):
                out[movement] = int(q)
            if from_transitions:
                out["issued"] = int(
                    db.execute(
                        "SELECT coalesce(sum(CASE WHEN from_state = 'blank' THEN 1 ELSE -1 END), 0)"
                        " FROM key_transitions WHERE ((from_state = 'blank' AND to_state ="
                        f" 'formatted') OR (from_state = 'formatted' AND to_state = 'blank'))"
                        f" AND {where}",
                        args,
                    ).fetchone()[0]
                )
            return out

        before = movements("at < ?", (start_utc,))
        data.keys["opening"] = before["received"] - before["issued"] - before["spoiled"]
        data.keys.update(movements("at >= ? AND at < ?", span))
    else:
        data.missing.append("key_stock")
    return data


#: The expected tables as SQL: the contract above, runnable. Tests and the bench create a table
#: from here only when its owning area has not created it (the real migration wins when present).
EXPECTED_TABLES: dict[str, str] = {
    # The columns this module reads of the payments area's 0030_payments.sql, with its indexes.
    "payments": """
        CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            visit_id INTEGER NOT NULL REFERENCES visits (id),
            method TEXT NOT NULL CHECK (method IN ('card', 'wechat', 'alipay', 'transfer')),
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            paid_at TEXT
        );
        CREATE INDEX payments_visit ON payments (visit_id, id);
    """,
    "refunds": """
        CREATE TABLE refunds (
            id INTEGER PRIMARY KEY,
            payment_id INTEGER NOT NULL REFERENCES payments (id),
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            done_at TEXT
        );
        CREATE INDEX refunds_payment ON refunds (payment_id);
    """,
}


def create_missing_expected_tables(db: sqlite_utils.Database) -> list[str]:
    """Create the expected tables an area has not created yet (tests and bench only).

    Returns:
        The names created.
    """
    conn = getattr(db, "conn", db)
    have = _tables(conn)
    made = []
    for name, sql in EXPECTED_TABLES.items():
        if name not in have:
            conn.executescript(sql)
            made.append(name)
    return made
