"""The kiosk's local store: one SQLite file through sqlite-utils.

WAL journal, ``synchronous=NORMAL`` and a busy timeout; numbered migrations
(``data/migrations/NNNN_name.sql``) applied in order on open, each in its own transaction and
recorded in ``schema_migrations``. Business writes go through ``with store.atomic():`` so a
change and its outbox row commit together (sqlite-utils 4 commits a bare insert at once).

The one place that knows how the file is opened and written:

- :meth:`Store.open` opens it, once per process (the composition passes the store down), and
  again for a worker thread that needs its own connection (the sync worker, the print worker:
  its migrations are a no-op once applied);
- :func:`connect` is the connection with the same pragmas under both, and on its own for code
  that must never migrate (the supervisor console, the status log, the doctor's look);
- :func:`write_transaction` is the one write transaction (``BEGIN IMMEDIATE``), behind
  :meth:`Store.atomic` and every raw-connection writer.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import sqlite_utils
import sqlite_utils.db

from kiosk.domain.clock import SYSTEM_CLOCK, Clock, to_storage
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


def utc_now(clock: Clock = SYSTEM_CLOCK) -> str:
    """Now in UTC as stored: ISO-8601 with microseconds and a Z."""
    return to_storage(clock.now())


#: Seconds a connection waits for another one's write lock before "database is locked".
BUSY_TIMEOUT_S = 10.0


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to the store file with the store's pragmas; no migrations.

    Autocommit (transactions are explicit: :func:`write_transaction`), usable from any thread,
    busy timeout, foreign keys, WAL and ``synchronous=NORMAL`` (a commit never waits on an
    fsync). :meth:`Store.open` is this plus migrations; use this alone only where the schema
    must not be touched (the supervisor console, which does not own the schema; the status log;
    a read-only look).

    Args:
        path: the database file, or ``":memory:"``.
        read_only: open with ``mode=ro`` and ``query_only`` (the file must exist; the journal
            mode is left as the writer set it).

    Raises:
        sqlite3.DatabaseError: the file cannot be opened or is not a database.
    """
    memory = str(path) == ":memory:"
    if read_only:
        uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
        conn = sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,
        )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        elif not memory:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``conn``: all of it commits, or none.

    The outermost transaction starts with ``BEGIN IMMEDIATE``, taking SQLite's write lock up
    front: with more than one connection (the print worker has its own), a deferred transaction
    that reads before it writes cannot upgrade once another connection has committed meanwhile
    (SQLITE_BUSY_SNAPSHOT in WAL mode), and SQLite then answers "database is locked" at once
    instead of waiting its turn under the busy timeout. Inside an open transaction it is a
    savepoint, so an inner failure undoes only the inner block.
    """
    if conn.in_transaction:
        name = f"w{uuid.uuid4().hex}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def inserted_id(table: sqlite_utils.db.Table) -> int:
    """The primary key of the row ``table.insert(...)`` just wrote."""
    if table.last_pk is None:
        raise RuntimeError(f"no row was inserted into {table.name}")
    return int(table.last_pk)


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
            conn = connect(":memory:" if file is None else file)
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
            try:
                with write_transaction(self.db.conn) as conn:
                    for statement in _split_sql(mig.sql):
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                        (mig.number, mig.name, utc_now()),
                    )
            except sqlite3.Error as e:
                raise StoreError(
                    f"migration {mig.number:04d}_{mig.name} failed: {e}", code="store.migration"
                ) from e
            newly.append(mig.number)
        return newly

    @contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction (a savepoint when nested): all of it commits, or none.

        :func:`write_transaction` on the store's connection: the write lock is taken up front
        (``BEGIN IMMEDIATE``).
        """
        with write_transaction(self.db.conn):
            yield self.db

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
