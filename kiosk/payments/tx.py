"""Write transactions that take SQLite's write lock up front.

``Store.atomic()`` (sqlite-utils) opens the outermost transaction with a deferred ``BEGIN``. With
more than one connection (the print worker has its own), a transaction that reads before it
writes cannot upgrade once another connection has committed in between: SQLite answers
"database is locked" at once, without waiting (SQLITE_BUSY_SNAPSHOT in WAL mode). ``BEGIN
IMMEDIATE`` takes the write lock first and so waits its turn under the busy timeout instead.
Nested use is a savepoint, as with ``atomic()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils
import sqlite_utils.db

from data.store import Store


@contextmanager
def write_tx(store: Store) -> Iterator[sqlite_utils.Database]:
    """One write transaction (a savepoint when already inside one)."""
    conn = store.db.conn
    if conn.in_transaction:
        with store.atomic() as db:
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield store.db
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
