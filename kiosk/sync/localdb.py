"""Open the kiosk's SQLite file for sync work: the skeleton's store (WAL, migrations applied)."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from data.store import Store


def open_kiosk_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the kiosk database with every migration applied.

    Each caller (the sync worker's thread, the screen's status poll, a CLI command) opens its
    own connection; SQLite's WAL lets them read while one writes.

    Raises:
        StoreError: the file cannot be opened or migrated.
    """
    return Store.open(path).db
