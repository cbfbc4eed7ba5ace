"""Open the kiosk's SQLite file for sync work (WAL, migrations applied).

Until the skeleton's ``data.store.Store`` lands this applies ``data/migrations/*.sql`` itself,
recording each in ``schema_migrations`` the way the store does (one transaction per file).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from kiosk.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parents[2] / "data" / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def apply_migrations(db: sqlite_utils.Database, directory: Path = MIGRATIONS) -> list[int]:
    """Apply the numbered .sql files not yet recorded; return the versions applied."""
    conn = db.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    applied = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m or int(m.group(1)) in done:
            continue
        version = int(m.group(1))
        with db.atomic():
            for statement in _statements(path.read_text()):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, m.group(2), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
        applied.append(version)
    return applied


def _statements(sql: str) -> list[str]:
    # Whole statements only: sqlite3.complete_statement tells where each one ends.
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf)
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") for ln in buf.splitlines() if ln.strip()
    ):
        out.append(buf)
    return out


def open_kiosk_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the kiosk database with WAL and every migration applied.

    Raises:
        StoreError: the file cannot be opened or migrated.
    """
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=10000")
        db = sqlite_utils.Database(conn)
        apply_migrations(db)
    except sqlite3.Error as e:
        raise StoreError(f"cannot open kiosk database {path}: {e}", code="store.open_failed") from e
    return db
