"""The hub's storage: one thin layer over SQLite (default) or PostgreSQL, chosen by the URL.

``sqlite:///var/hub.db`` (or a bare path) opens SQLite with WAL; ``postgresql://user@host/db``
opens PostgreSQL through psycopg (imported only then). The hub's queries are written once, in
the subset both speak (``INSERT … ON CONFLICT … DO NOTHING``, TEXT times in UTC ISO-8601), with
``?`` placeholders that this layer rewrites to ``%s`` for psycopg.

Every use goes through :meth:`HubDB.transaction`; the connection is shared under a lock, which
serialises writes the way SQLite does anyway and is plenty for a province of counters.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.errors import ConfigError, StoreError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hub_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kiosks (
    name TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id {serial},
    event_id TEXT NOT NULL UNIQUE,
    kiosk TEXT NOT NULL REFERENCES kiosks (name),
    visit_id TEXT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_kiosk ON events (kiosk, id);
CREATE TABLE IF NOT EXISTS certificates (
    request_id TEXT PRIMARY KEY,
    kiosk TEXT NOT NULL REFERENCES kiosks (name),
    serial TEXT NOT NULL UNIQUE,
    profile TEXT NOT NULL,
    subject TEXT NOT NULL,
    csr_digest TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    revoked_at TEXT,
    revocation_reason TEXT
);
CREATE TABLE IF NOT EXISTS config_documents (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

_SERIAL = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgresql": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
}


class Tx:
    """A transaction in progress: ``execute`` with ``?`` placeholders on either database."""

    def __init__(self, cursor: Any, dialect: str):
        self._cur = cursor
        self._dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        if self._dialect == "postgresql":
            sql = sql.replace("?", "%s")
        self._cur.execute(sql, tuple(params))
        return int(self._cur.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement for many rows; return the total number of rows changed."""
        if self._dialect == "postgresql":
            sql = sql.replace("?", "%s")
        self._cur.executemany(sql, [tuple(r) for r in rows])
        return int(self._cur.rowcount)

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a query; return its first row or None."""
        self.execute(sql, params)
        row = self._cur.fetchone()
        return None if row is None else tuple(row)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query; return every row."""
        self.execute(sql, params)
        return [tuple(r) for r in self._cur.fetchall()]


class HubDB:
    """The hub's database, SQLite or PostgreSQL by URL.

    Args:
        url: ``sqlite:///path``, a bare filesystem path, or ``postgresql://…``.

    Raises:
        ConfigError: the URL's scheme is neither SQLite nor PostgreSQL.
        StoreError: the database cannot be opened or its schema created.
    """

    def __init__(self, url: str):
        self.url = url
        self.dialect, target = parse_url(url)
        self._lock = threading.Lock()
        try:
            if self.dialect == "sqlite":
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                self._conn: Any = sqlite3.connect(
                    target, isolation_level=None, check_same_thread=False, timeout=30.0
                )
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute("PRAGMA foreign_keys=ON")
            else:
                try:
                    import psycopg
                except ImportError as e:
                    raise ConfigError(
                        "the hub database URL names PostgreSQL but psycopg is not installed "
                        "(pip install 'psycopg[binary]')",
                        code="hub.no_psycopg",
                    ) from e
                self._conn = psycopg.connect(target, autocommit=True)
            self._create_schema()
        except (sqlite3.Error, OSError) as e:
            raise StoreError(f"cannot open hub database {url}: {e}", code="hub.db_open") from e

    def _create_schema(self) -> None:
        schema = _SCHEMA.replace("{serial}", _SERIAL[self.dialect])
        with self.transaction() as tx:
            for stmt in schema.split(";"):
                if stmt.strip():
                    tx.execute(stmt)
            tx.execute(
                "INSERT INTO hub_meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO NOTHING",
                (str(SCHEMA_VERSION),),
            )

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
            try:
                yield Tx(cur, self.dialect)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def parse_url(url: str) -> tuple[str, str]:
    """Split a database URL into (dialect, target): a file path for SQLite, the DSN for PG.

    Raises:
        ConfigError: an unknown scheme.
    """
    if "://" not in url:
        return "sqlite", url
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        path = url.split("://", 1)[1]
        # sqlite:///relative.db -> "/relative.db"?  Follow SQLAlchemy: three slashes relative,
        # four absolute.
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ConfigError("sqlite URL has no path (sqlite:///hub.db)", code="hub.bad_db_url")
        return "sqlite", path
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return "postgresql", url.replace("postgresql+psycopg://", "postgresql://", 1)
    raise ConfigError(
        f"hub database URL {url!r}: scheme {scheme!r} is not supported; use sqlite:///PATH or "
        "postgresql://USER@HOST/DB",
        code="hub.bad_db_url",
    )
