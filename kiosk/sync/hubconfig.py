"""The hub's configuration documents on the kiosk: fetched by the sync worker, kept locally.

``refresh`` asks ``GET /config`` with the last ETag (304 while nothing changed) and replaces the
local copies in one transaction; ``document`` reads one (the staff area reads the roster, the
fees area the fee tables). Offline, the last copy stays in force.
"""

from __future__ import annotations

import json
from typing import Any

from data import outbox
from kiosk.sync.client import HubClient


def refresh(db: outbox.Db, client: HubClient) -> bool:
    """Fetch the documents if they changed; True when new ones were stored.

    Raises:
        HubUnavailable, HubUnauthorized: from the client (nothing local changes).
    """
    etag = outbox.get_state(db, "config_etag")
    new_etag, docs = client.config(etag)
    if docs is None:
        return False
    conn = outbox.connection(db)
    stamp = outbox.utc_now()
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM hub_config")
        conn.executemany(
            "INSERT INTO hub_config (name, body, version, fetched_at) VALUES (?, ?, ?, ?)",
            [
                (name, json.dumps(body, ensure_ascii=False), new_etag or "", stamp)
                for name, body in docs.items()
            ],
        )
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES ('config_etag', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (new_etag,),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return True


def document(db: outbox.Db, name: str) -> Any | None:
    """The last copy of one document (``fee_tables``, ``staff_roster``, ``blocklists``), or
    None if the hub never handed it out."""
    row = (
        outbox.connection(db)
        .execute("SELECT body FROM hub_config WHERE name = ?", (name,))
        .fetchone()
    )
    return None if row is None else json.loads(row[0])
