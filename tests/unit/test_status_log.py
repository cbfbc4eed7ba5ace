"""The kiosk records its device states for the supervisor console (kiosk/console/status_log.py):
on a
change, and otherwise only as a heartbeat; ``since`` moves only when the state changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from data.store import Store
from kiosk.console.status_log import StatusLog, read_devices
from kiosk.status import Device, DeviceState, DeviceStatus
from tests.functional.support import SAMPLE_STATUS
from tests.unit.staff_support import FakeClock


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.db"
    Store.open(path).close()
    return path


def _with_printer(state: DeviceState, zh: str = "", en: str = ""):
    devices = tuple(
        DeviceStatus(Device.PRINTER, state, zh, en) if d.device is Device.PRINTER else d
        for d in SAMPLE_STATUS.devices
    )
    return replace(SAMPLE_STATUS, devices=devices)


def test_states_are_written_on_change_and_as_a_heartbeat(database: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    log = StatusLog(database, heartbeat_s=30, clock=clock)
    assert log.record(SAMPLE_STATUS) is True
    clock.advance(2)
    assert log.record(SAMPLE_STATUS) is False, "nothing changed, heartbeat not due"
    clock.advance(29)
    assert log.record(SAMPLE_STATUS) is True, "the heartbeat"
    with Store.open(database) as store:
        rows = read_devices(store.db)
    assert [d.device for d in rows] == ["reader", "token", "camera", "printer"]
    printer = rows[-1]
    assert (printer.state, printer.reason_zh) == ("fault", "打印机缺纸")
    assert printer.since == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert printer.checked_at == datetime(2026, 11, 23, 2, 0, 31, tzinfo=UTC)

    clock.advance(1)
    assert log.record(_with_printer(DeviceState.FAULT, "打印机开盖", "cover open")) is True
    clock.advance(1)
    assert log.record(_with_printer(DeviceState.READY)) is True
    log.close()
    with Store.open(database) as store:
        printer = read_devices(store.db)[-1]
    assert printer.state == "ready"
    assert printer.since == datetime(2026, 11, 23, 2, 0, 33, tzinfo=UTC)


def test_a_failed_write_is_retried_on_the_next_poll(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "kiosk.db"
    log = StatusLog(missing)
    assert log.record(SAMPLE_STATUS) is False  # logged, never raised into the status bar
    missing.parent.mkdir()
    Store.open(missing).close()
    assert log.record(SAMPLE_STATUS) is True
    log.close()
