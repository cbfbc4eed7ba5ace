"""The hash-chained audit log: append, verify, tamper detection, append-only triggers."""

from __future__ import annotations

import sqlite3

import pytest

from data.store import Store
from kiosk.staff import audit
from kiosk.staff.audit import Actor


def _fill(store, n=5):
    a = Actor("1001", "operator")
    for i in range(n):
        with store.atomic() as db:
            audit.append(
                db,
                action="override.fee_waiver",
                actor=a,
                visit_id=i,
                reason_code="goodwill",
                before={"amount_fen": 1000 + i},
                after={"amount_fen": 0},
                approver=Actor("2001", "supervisor"),
            )


def test_rows_chain_each_to_the_previous(store):
    _fill(store, 3)
    rows = audit.entries(store.db)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS
    assert rows[1].prev_hash == rows[0].row_hash and rows[2].prev_hash == rows[1].row_hash
    res = audit.verify(store.db)
    assert res.ok and res.rows == 3 and res.head_hash == rows[2].row_hash


def test_update_and_delete_are_refused_by_triggers(store):
    _fill(store, 2)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE audit_log SET reason_code = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM audit_log WHERE seq = 2")


def _tamper(path, sql):
    """Edit the SQLite file behind the kiosk's back, as an attacker with file access would."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("sql", "seq", "words"),
    [
        ("UPDATE audit_log SET after = '{\"amount_fen\":5}' WHERE seq = 3", 3, "edited"),
        ("UPDATE audit_log SET staff_no = '9999' WHERE seq = 2", 2, "edited"),
        # Always a different hash (a row whose hash starts with "ab" would be left unchanged).
        (
            "UPDATE audit_log SET row_hash = CASE WHEN substr(row_hash, 1, 2) = 'ab' THEN 'cd' "
            "ELSE 'ab' END || substr(row_hash, 3) WHERE seq = 4",
            4,
            "edited",
        ),
        ("DELETE FROM audit_log WHERE seq = 3", 4, "missing"),
        ("DELETE FROM audit_log WHERE seq = 1", 2, "missing"),
    ],
)
def test_verify_names_the_first_broken_row(tmp_path, sql, seq, words):
    path = tmp_path / "kiosk.db"
    with Store.open(path) as s:
        _fill(s, 5)
    _tamper(path, sql)
    with Store.open(path) as s:
        res = audit.verify(s.db)
    assert not res.ok
    assert res.broken_seq == seq
    assert f"row {seq}" in res.problem and words in res.problem


def test_a_recomputed_row_breaks_the_next_link(tmp_path):
    path = tmp_path / "kiosk.db"
    with Store.open(path) as s:
        _fill(s, 4)
        row = audit.entries(s.db)[1].as_dict()
    # The attacker edits row 2 and recomputes its own hash: row 3's link then breaks.
    row["reason_code"] = "program_policy"
    forged = audit.row_hash(row)
    _tamper(
        path,
        f"UPDATE audit_log SET reason_code = 'program_policy', row_hash = '{forged}' WHERE seq = 2",
    )
    with Store.open(path) as s:
        res = audit.verify(s.db)
    assert res.broken_seq == 3 and "prev_hash" in res.problem


def test_append_joins_the_callers_transaction(store):
    with pytest.raises(RuntimeError), store.atomic() as db:
        audit.append(db, action="x.y", actor=None)
        raise RuntimeError("the change failed")
    assert audit.entries(store.db) == []
