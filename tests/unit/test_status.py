"""The status source behind the status bar, the seal question, and the real services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.config import default_config_text, parse_settings
from kiosk.domain.clock import SettableClock
from kiosk.domain.types import Service
from kiosk.errors import PrinterError
from kiosk.shell.app import seal_option
from kiosk.shell.cli import CliContext
from kiosk.shell.services import build_services, counter_probe
from kiosk.status import (
    CounterState,
    Device,
    DeviceState,
    DeviceStatus,
    HubStatus,
    ProbeStatusSource,
)

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _hub() -> HubStatus:
    return HubStatus(True, 0)


def _counter(at: datetime) -> CounterState:
    return CounterState(True, "营业中", "open")


def test_each_probe_is_asked_and_reported_in_device_order() -> None:
    source = ProbeStatusSource(
        {
            Device.PRINTER: lambda: DeviceStatus(Device.PRINTER, DeviceState.READY),
            Device.READER: lambda: DeviceStatus(Device.READER, DeviceState.READY),
        },
        _hub,
        _counter,
        clock=SettableClock(AT),
    )
    status = source.poll()
    assert [d.device for d in status.devices] == list(Device)
    states = {d.device: d.state for d in status.devices}
    assert states == {
        Device.READER: DeviceState.READY,
        Device.TOKEN: DeviceState.MISSING,  # no probe: missing, never assumed ready
        Device.CAMERA: DeviceState.MISSING,
        Device.PRINTER: DeviceState.READY,
    }
    assert status.at == AT and status.hub.online is True and status.counter.open is True


def test_a_failing_probe_is_a_fault_with_its_reason_and_hides_nothing_else() -> None:
    def out_of_paper() -> DeviceStatus:
        raise PrinterError("the printer is out of paper; load a roll")

    def broken() -> DeviceStatus:
        raise RuntimeError("boom")

    source = ProbeStatusSource(
        {
            Device.PRINTER: out_of_paper,
            Device.CAMERA: broken,
            Device.READER: lambda: DeviceStatus(Device.READER, DeviceState.READY),
        },
        _hub,
        _counter,
    )
    by_device = {d.device: d for d in source.poll().devices}
    assert by_device[Device.PRINTER].state is DeviceState.FAULT
    assert by_device[Device.PRINTER].reason_en == "the printer is out of paper; load a roll"
    assert by_device[Device.CAMERA].state is DeviceState.FAULT
    assert "RuntimeError: boom" in by_device[Device.CAMERA].reason_en
    assert by_device[Device.READER].state is DeviceState.READY


def test_a_probe_wired_to_the_wrong_device_is_a_fault() -> None:
    source = ProbeStatusSource(
        {Device.TOKEN: lambda: DeviceStatus(Device.PRINTER, DeviceState.READY)}, _hub, _counter
    )
    token = source.poll().devices[1]
    assert token.device is Device.TOKEN and token.state is DeviceState.FAULT


def test_failing_hub_and_hours_probes_read_as_unknown() -> None:
    def down() -> HubStatus:
        raise OSError("network unreachable")

    def no_hours(at: datetime) -> CounterState:
        raise ValueError("bad rules")

    status = ProbeStatusSource({}, down, no_hours).poll()
    assert status.hub.online is None and "network unreachable" in status.hub.reason_en
    assert status.counter.open is None and "bad rules" in status.counter.reason_en


@pytest.fixture(scope="module")
def settings():
    return parse_settings(default_config_text(), "<embedded kiosk.toml>")


@pytest.mark.parametrize(
    ("service", "program", "offered", "default"),
    [
        (Service.NEW, "dongguan-hpf", True, True),
        (Service.RENEW, "dongguan-hpf", True, True),
        (Service.UNLOCK, "gd-procurement", True, True),
        (Service.SEAL, "dongguan-hpf", False, True),
        (Service.NEW, "foshan-yzt", False, False),  # 佛山一证通 issues no seal
        (Service.PICKUP, "dongguan-hpf", False, False),
        (Service.REFUND, "pingan-procurement", False, False),
        (Service.KEY_RECOVERY, "dongguan-hpf", False, False),
    ],
)
def test_when_the_seal_question_is_asked(settings, service, program, offered, default) -> None:
    option = seal_option(service, settings.program(program))
    assert (option.offered, option.default) == (offered, default)
    assert option.new == (offered and service is Service.NEW)


def test_real_services_open_the_store_and_report_devices_honestly(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    ctx = CliContext(data_dir=tmp_path / "data", training=True)
    services = build_services(ctx)
    try:
        assert services.training
        assert services.store is not None
        assert services.store.path == tmp_path / "data" / "training" / "kiosk.db"
        assert services.store.applied()  # migrations ran
        status = services.status.poll()
        # Until each device's adapter lands, nothing pretends to be ready. The ID card reader's
        # probe is real: ready when pcscd lists a reader (a test session's pcscd may be up).
        # The printer has landed: in training it is the stand-in on loopback, "ready".
        printer = next(d for d in status.devices if d.device is Device.PRINTER)
        assert printer.state is DeviceState.READY
        assert services.printer_sim is not None and services.money is not None
        others = [d for d in status.devices if d.device not in (Device.READER, Device.PRINTER)]
        assert all(d.state is DeviceState.MISSING for d in others)
        assert all(d.reason_en for d in others)
        reader = next(d for d in status.devices if d.device is Device.READER)
        assert reader.state is DeviceState.READY or reader.reason_en
        assert status.hub.online is None
    finally:
        services.close()


@pytest.mark.parametrize(
    ("utc", "is_open"),
    [
        (datetime(2026, 11, 23, 2, 0, tzinfo=UTC), True),  # Monday 10:00 in Dongguan
        (datetime(2026, 11, 23, 4, 30, tzinfo=UTC), False),  # Monday 12:30: lunch
        (datetime(2026, 11, 22, 2, 0, tzinfo=UTC), False),  # Sunday
        (datetime(2026, 10, 1, 2, 0, tzinfo=UTC), False),  # National Day, a Thursday
    ],
)
def test_counter_probe_follows_the_hours_and_holidays(settings, utc, is_open) -> None:
    state = counter_probe(settings.counter)(utc)
    assert state.open is is_open
    assert state.reason_zh and state.reason_en


@pytest.mark.parametrize("module", ["kiosk.status", "kiosk.shell.services"])
def test_status_and_services_stay_headless(module: str) -> None:
    # Device adapters and the sync worker build DeviceStatus/HubStatus: they must not pull in
    # Textual through these modules (STYLE.md #1).
    import subprocess
    import sys

    code = f"import sys, {module}; sys.exit(1 if 'textual' in sys.modules else 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-500:]
