"""The status bar's reader probe says what is missing, in words."""

from __future__ import annotations

import pytest

from kiosk.config import ReaderSettings
from kiosk.shell.idcard_probe import reader_probe
from kiosk.status import DeviceState


def test_missing_serial_device_is_named(tmp_path) -> None:
    status = reader_probe(ReaderSettings(backend="sam", serial_device=str(tmp_path / "nope")))()
    assert status.state is DeviceState.MISSING and "nope" in status.reason_en


def test_present_serial_device_is_ready() -> None:
    from hardware.sim.sam import SimulatedSam

    with SimulatedSam() as sam:
        status = reader_probe(ReaderSettings(backend="sam", serial_device=sam.path))()
    assert status.state is DeviceState.READY


@pytest.mark.needs_pcscd
def test_pcsc_reader_ready_or_missing_by_pattern(pcscd) -> None:
    assert reader_probe(ReaderSettings(reader_pattern="Virtual PCD"))().state is DeviceState.READY
    missing = reader_probe(ReaderSettings(reader_pattern="Gemalto"))()
    assert missing.state is DeviceState.MISSING and missing.reason_zh == "未连接读卡器"
