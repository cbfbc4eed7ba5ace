"""Fixtures for every tier: keep the host machine out of the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from data.store import Store

REPO = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.idcard_fixtures"]


@pytest.fixture(autouse=True)
def _no_host_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the machine's kiosk.toml, data directory or hub credential by accident."""
    for var in ("KIOSK_CONFIG", "KIOSK_DATA_DIR", "KIOSK_HUB_CREDENTIAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TZ", os.environ.get("TZ", "UTC"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, empty data directory for one test."""
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh kiosk store for one test: a file (WAL, as the kiosk keeps it), every migration
    applied, closed afterwards."""
    with Store.open(tmp_path / "kiosk.db") as s:
        yield s


@pytest.fixture
def db(store: Store) -> sqlite_utils.Database:
    """The fresh store's database (for code that takes a ``sqlite_utils.Database``)."""
    return store.db
