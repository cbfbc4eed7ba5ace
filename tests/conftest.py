"""Fixtures for every tier: keep the host machine out of the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
