"""Fixtures for the key tests against SoftHSM2 (installed by ``make test``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.keys_support import KeyEnv, make_env

pytestmark = pytest.mark.needs_softhsm


@pytest.fixture(autouse=True)
def _softhsm_installed() -> None:
    if not Path("/usr/lib/softhsm/libsofthsm2.so").exists() or not shutil.which("softhsm2-util"):
        pytest.fail("SoftHSM2 is not installed: run `make test` (it installs softhsm2)")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[KeyEnv]:
    e = make_env(tmp_path / "kiosk")
    yield e
    e.close()
