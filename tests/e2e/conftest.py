from __future__ import annotations

import itertools

import pytest

from hub import kiosks
from hub.db import HubDB
from tests.support.postgres import pg_cluster  # noqa: F401 - a fixture
from tests.support.procs import HubProcess

_names = itertools.count(1)


class _Hub(HubProcess):
    def enrol(self, name: str) -> str:
        """Enrol in-process (the CLI's own enrolment is tested once, in test_sync_cli)."""
        db = HubDB(self.db_url)
        try:
            return kiosks.enrol(db, name)
        finally:
            db.close()


@pytest.fixture(scope="module")
def shared_hub(tmp_path_factory):
    """One hub process for a module's tests that do not kill it (each test its own kiosk)."""
    h = _Hub(tmp_path_factory.mktemp("hub") / "hub.db")
    h.start()
    try:
        yield h
    finally:
        h.stop()


@pytest.fixture
def hub(tmp_path):
    """A fresh hub process on loopback with its own SQLite file (not started yet)."""
    h = _Hub(tmp_path / "hub.db")
    try:
        yield h
    finally:
        h.stop()


@pytest.fixture
def kiosk_name():
    return f"dg-{next(_names):02d}"
