"""The kiosk's local store: one SQLite file through sqlite-utils.

WAL journal, ``synchronous=NORMAL`` and a busy timeout; numbered migrations
(``data/migrations/NNNN_name.sql``) applied in order on open, each in its own transaction and
recorded in ``schema_migrations``. Business writes go through ``with store.db.atomic():`` so a
change and its outbox row commit together (sqlite-utils 4 commits a bare insert at once).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import sqlite_utils

from kiosk.errors import StoreError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema step."""

    number: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``data/migrations``, in number order.

    Raises:
        StoreError: two files share a number (parallel work collided).
    """
    found: dict[int, Migration] = {}
    for entry in resources.files("data").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if not m:
            continue
        number = int(m.group(1))
        if number in found:
            raise StoreError(
                f"two migrations numbered {number:04d}: {found[number].name} and {m.group(2)}",
                code="store.migration_clash",
            )
        found[number] = Migration(number, m.group(2), entry.read_text(encoding="utf-8"))
    return [found[n] for n in sorted(found)]


def utc_now() -> str:
    """Now in UTC as stored: ISO-8601 with microseconds and a Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Store:
    """An open store. Use :meth:`open`; close with :meth:`close` or as a context manager."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None):
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path, migrations: list[Migration] | None = None) -> Store:
        """Open (creating if needed) the SQLite file and bring its schema up to date.

        Args:
            path: the database file; its folder is created. ``":memory:"`` for tests.
            migrations: replaces the bundled list (tests of the mechanism).

        Raises:
            StoreError: the file cannot be opened, is not a database, or a migration fails.
        """
        memory = str(path) == ":memory:"
        file = None if memory else Path(path)
        try:
            if file is not None:
                file.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                ":memory:" if file is None else str(file),
                timeout=10.0,
                isolation_level=None,  # autocommit; transactions are explicit (atomic())
                check_same_thread=False,
            )
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA foreign_keys = ON")
            if file is not None:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            db = sqlite_utils.Database(conn)
            store = cls(db, file)
            store.migrate(bundled_migrations() if migrations is None else migrations)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{path}: cannot open the local store: {e}", code="store.open") from e
        return store

    def applied(self) -> dict[int, str]:
        """Numbers and names of the migrations already applied."""
        if not self.db["schema_migrations"].exists():
            return {}
        return {r["number"]: r["name"] for r in self.db["schema_migrations"].rows}

    def migrate(self, migrations: list[Migration]) -> list[int]:
        """Apply the migrations not yet applied, in order; returns their numbers."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = self.applied()
        newly: list[int] = []
        for mig in migrations:
            if mig.number in done:
                continue
            conn = self.db.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                for statement in _split_sql(mig.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                    (mig.number, mig.name, utc_now()),
                )
                conn.execute("COMMIT")
            except sqlite3.Error as e:
                conn.execute("ROLLBACK")
                raise StoreError(
                    f"migration {mig.number:04d}_{mig.name} failed: {e}", code="store.migration"
                ) from e
            newly.append(mig.number)
        return newly

    @contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """One transaction (a savepoint when nested): all of it commits, or none.

        The outermost transaction starts with ``BEGIN IMMEDIATE``: with more than one connection
        (the print worker has its own), a deferred transaction that reads before it writes
        cannot upgrade once another connection has committed meanwhile, and SQLite then answers
        "database is locked" at once instead of waiting under the busy timeout.
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():  # a savepoint
                yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (checkpointing WAL)."""
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (split on complete statements, triggers included)."""
    statements: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip() and not buf.strip().startswith("--"):
        statements.append(buf.strip())
    return statements
