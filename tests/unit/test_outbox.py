"""The outbox records events in the caller's transaction and hands them out in order."""

from __future__ import annotations

import pytest

from data import outbox
from data.store import Store, utc_now
from kiosk.errors import StoreError, UsageError


def test_event_is_kept_only_if_the_change_commits(db):
    db["sales"].create({"id": int, "amount_fen": int}, pk="id")
    with db.atomic():
        db["sales"].insert({"id": 1, "amount_fen": 120000})
        outbox.enqueue(db, kind="payment.recorded", payload={"id": 1}, visit_id="DG-1")
    with pytest.raises(RuntimeError), db.atomic():
        db["sales"].insert({"id": 2, "amount_fen": 500})
        outbox.enqueue(db, kind="payment.recorded", payload={"id": 2}, visit_id="DG-2")
        raise RuntimeError("the payment step failed after queuing")
    assert db["sales"].count == 1
    events = outbox.next_batch(db, 10)
    assert [e.wire()["payload"] for e in events] == [{"id": 1}]


def test_batches_come_in_commit_order(db):
    ids = [
        outbox.enqueue(db, kind="visit.step", payload={"n": i}, visit_id=f"V{i % 3}")
        for i in range(10)
    ]
    assert [e.event_id for e in outbox.next_batch(db, 4)] == ids[:4]
    assert [e.event_id for e in outbox.next_batch(db, 100)] == ids


def test_reusing_an_event_id_queues_once(db):
    eid = "7f1c1d2e-0000-4000-8000-000000000001"
    outbox.enqueue(db, kind="visit.step", payload={"n": 1}, event_id=eid)
    outbox.enqueue(db, kind="visit.step", payload={"n": 1}, event_id=eid)
    assert outbox.counts(db)["pending"] == 1


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "Payment", "payload": {}}, "outbox.bad_kind"),
        ({"kind": "payment", "payload": {}}, "outbox.bad_kind"),
        ({"kind": "payment.recorded", "payload": [1, 2]}, "outbox.bad_payload"),
        ({"kind": "payment.recorded", "payload": {"t": object()}}, "outbox.bad_payload"),
        ({"kind": "payment.recorded", "payload": {"x": "a" * 70000}}, "outbox.payload_too_large"),
        ({"kind": "payment.recorded", "payload": {}, "event_id": "nope"}, "outbox.bad_id"),
    ],
)
def test_bad_events_are_refused_with_a_named_error(db, kwargs, code):
    with pytest.raises(UsageError) as err:
        outbox.enqueue(db, **kwargs)
    assert err.value.code == code
    assert outbox.counts(db)["pending"] == 0


def test_missing_table_is_a_store_error(tmp_path):
    import sqlite_utils

    with pytest.raises(StoreError):
        outbox.enqueue(sqlite_utils.Database(tmp_path / "x.db"), kind="a.b", payload={})


def test_results_mark_sent_and_quarantine(db):
    a = outbox.enqueue(db, kind="a.b", payload={})
    b = outbox.enqueue(db, kind="a.b", payload={})
    c = outbox.enqueue(db, kind="a.b", payload={})
    outbox.record_results(db, [a, c], {b: "unknown program"})
    assert outbox.counts(db) == {"pending": 0, "sent": 2, "quarantined": 1}
    [q] = outbox.list_events(db, "quarantined")
    assert q["event_id"] == b and q["last_error"] == "unknown program"
    assert outbox.retry_quarantined(db, [b]) == 1
    assert [e.event_id for e in outbox.next_batch(db, 10)] == [b]


def test_migrations_apply_once(tmp_path):
    Store.open(tmp_path / "k.db").close()
    db = Store.open(tmp_path / "k.db").db
    versions = [r[0] for r in db.conn.execute("SELECT number FROM schema_migrations")]
    assert {20, 21} <= set(versions)


def test_emit_keys_a_visit_s_events_by_its_order_number(db):
    """Flow, payment and audit events of one visit reach the hub under one key."""
    first = outbox.emit(db, "visit.step", {"step": "pay"}, order_no="DG-20261121-0007", once="s")
    again = outbox.emit(db, "visit.step", {"step": "pay"}, order_no="DG-20261121-0007", once="s")
    assert first == again == outbox.stable_event_id("DG-20261121-0007", "s")
    outbox.emit(db, "payment.paid", {"amount_fen": 1}, order_no="DG-20261121-0007")
    outbox.emit(db, "day.closed", {"business_date": "2026-11-21"})
    assert [k for k, _ in outbox.visit_events(db, "DG-20261121-0007")] == [
        "visit.step",
        "payment.paid",
    ]
    assert [e.visit_id for e in outbox.next_batch(db, 10)] == [
        "DG-20261121-0007",
        "DG-20261121-0007",
        None,
    ]


def test_a_once_only_event_needs_the_order_number(db):
    with pytest.raises(UsageError) as ei:
        outbox.emit(db, "visit.step", {}, once="s")
    assert ei.value.code == "outbox.bad_once"


def test_order_no_of_a_visit_row(db):
    vid = (
        db["visits"]
        .insert(
            {
                "order_no": "DG-20261121-0007",
                "service": "new",
                "program": "dongguan-hpf",
                "kind": "org",
                "state": "open",
                "created_at": utc_now(),
                "updated_at": utc_now(),
            }
        )
        .last_pk
    )
    assert outbox.order_no_of(db, vid) == "DG-20261121-0007"
    assert outbox.order_no_of(db, vid + 1) is None
    assert outbox.order_no_of(db, None) is None
