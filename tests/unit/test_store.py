"""The local store: migrations apply once, in order, atomically; WAL; writes are atomic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from data.store import Migration, Store, bundled_migrations
from kiosk.errors import StoreError


def test_bundled_migrations_are_numbered_uniquely_and_apply(tmp_path: Path) -> None:
    migs = bundled_migrations()
    numbers = [m.number for m in migs]
    assert numbers == sorted(set(numbers))
    with Store.open(tmp_path / "k.db") as store:
        assert sorted(store.applied()) == numbers
        assert "visits" in store.db.table_names()
        mode = store.db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_reopen_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    Store.open(path).close()
    with Store.open(path) as store:
        assert store.migrate(bundled_migrations()) == []


def test_a_failing_migration_rolls_back_whole_and_is_not_recorded(tmp_path: Path) -> None:
    migs = [
        Migration(1, "ok", "CREATE TABLE a (x INTEGER);"),
        Migration(2, "bad", "CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);"),
    ]
    with pytest.raises(StoreError, match="0002_bad"):
        Store.open(tmp_path / "k.db", migrations=migs)
    conn = sqlite3.connect(tmp_path / "k.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables and "b" not in tables
    assert [r[0] for r in conn.execute("SELECT number FROM schema_migrations")] == [1]


def test_atomic_block_commits_all_or_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "k.db") as store:
        now = "2026-11-21T00:00:00.000000Z"
        row = {
            "order_no": "DG-20261121-0001",
            "service": "new",
            "created_at": now,
            "updated_at": now,
        }
        with pytest.raises(RuntimeError), store.atomic() as db:
            db["visits"].insert(row)
            raise RuntimeError("power cut")
        assert store.db["visits"].count == 0
        with store.atomic() as db:
            db["visits"].insert(row)
        assert store.db["visits"].count == 1


def test_not_a_database_is_a_clear_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "k.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the local store"):
        Store.open(bad)
