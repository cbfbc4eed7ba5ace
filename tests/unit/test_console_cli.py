"""``kiosk supervise`` and ``kiosk serve-web`` refuse in words, and write nothing, when the data
directory holds no kiosk store or one the kiosk has not upgraded."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.store import Store, bundled_migrations
from kiosk.shell.cli import main


@pytest.mark.parametrize("command", [["supervise"], ["serve-web", "--bind", "127.0.0.1:1"]])
def test_no_store_is_a_clear_failure(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "nowhere"
    assert main(["--data-dir", str(data), *command]) == 1
    err = capsys.readouterr().err
    assert f"no kiosk store at {data / 'kiosk.db'}" in err and "Traceback" not in err
    assert not data.exists(), "a console must not create the kiosk's data directory"


def test_a_store_the_kiosk_has_not_upgraded_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = [m for m in bundled_migrations() if m.number < 5]
    Store.open(tmp_path / "kiosk.db", migrations=old).close()
    assert main(["--data-dir", str(tmp_path), "supervise"]) == 1
    err = capsys.readouterr().err
    assert "lacks migrations 0005_device_status" in err and "restart" in err
