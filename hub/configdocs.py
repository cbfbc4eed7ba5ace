"""Configuration the hub hands to kiosks: fee tables, staff roster (hashed PINs), blocklists.

Each is a named JSON document; the set's version is a digest of all of them, so a kiosk polls
with ``If-None-Match`` and gets 304 while nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hub.db import HubDB
from kiosk.domain.clock import utc_now
from kiosk.errors import UsageError

#: The documents a kiosk expects; others are refused so a typo does not go unnoticed.
DOCUMENTS = ("fee_tables", "staff_roster", "blocklists")


def put(db: HubDB, name: str, body: Any) -> None:
    """Store one document (replacing the previous one).

    Raises:
        UsageError: unknown document name, or a body that is not a JSON object or array.
    """
    if name not in DOCUMENTS:
        raise UsageError(
            f"config document {name!r} is not one of {', '.join(DOCUMENTS)}", code="hub.bad_doc"
        )
    if not isinstance(body, dict | list):
        raise UsageError(
            f"config document {name} must be a JSON object or array", code="hub.bad_doc"
        )
    if name == "staff_roster":
        _check_roster(body)
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    now = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO config_documents (name, body, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET body = excluded.body, "
            "updated_at = excluded.updated_at",
            (name, text, now),
        )


def _check_roster(body: Any) -> None:
    # A roster must never carry a clear PIN: every entry has a pin_hash and no pin.
    entries = body.get("staff", []) if isinstance(body, dict) else body
    for entry in entries:
        if not isinstance(entry, dict) or "pin" in entry or "pin_hash" not in entry:
            raise UsageError(
                "staff_roster entries need a pin_hash and must not carry a clear pin",
                code="hub.bad_roster",
            )


def snapshot(db: HubDB) -> tuple[str, dict[str, Any]]:
    """(version, {name: document}) of every stored document."""
    with db.transaction() as tx:
        rows = tx.all("SELECT name, body FROM config_documents ORDER BY name")
    version = hashlib.sha256("\x1e".join(f"{n}\x1f{b}" for n, b in rows).encode()).hexdigest()[:32]
    return version, {name: json.loads(body) for name, body in rows}
