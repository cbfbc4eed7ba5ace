"""Audit rows and the day close are outbox events, written in the same transaction."""

from __future__ import annotations

import json

import pytest

from kiosk.staff import audit


def _events(store, kind):
    return [
        json.loads(r[0])
        for r in store.db.execute("SELECT payload FROM outbox WHERE kind = ? ORDER BY seq", [kind])
    ]


def test_each_audit_row_is_queued_for_the_hub(store):
    with store.atomic() as db:
        row = audit.append(db, action="staff.sign_in", actor=audit.Actor("1001", "operator"))
    queued = _events(store, "audit.appended")
    assert [q["row_hash"] for q in queued] == [row.row_hash]


def test_rolled_back_change_leaves_neither_audit_row_nor_event(store):
    with pytest.raises(RuntimeError), store.atomic() as db:
        audit.append(db, action="override.refund", actor=None, visit_id=3)
        raise RuntimeError("the refund failed")
    assert audit.entries(store.db) == []
    assert _events(store, "audit.appended") == []
