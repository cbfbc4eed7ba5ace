"""What the status bar shows: devices, the back office and the counter's hours, as plain values.

The screen polls a :class:`StatusSource` in a thread worker (probes may touch devices, the
network or the disk) and shows the :class:`KioskStatus` it returns. The skeleton's source is
:class:`ProbeStatusSource`: one probe callable per device, one for the hub, one for the
counter's hours. Later issues plug their real probes in (``hardware/<device>`` adapters, the
sync worker) without the screen changing.

No textual import here, and no hardware or data import: screens import this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from kiosk.domain.clock import SYSTEM_CLOCK, Clock
from kiosk.errors import KioskError

log = logging.getLogger(__name__)


class Device(StrEnum):
    """The devices a kiosk drives, in the order the status bar shows them."""

    READER = "reader"
    TOKEN = "token"
    CAMERA = "camera"
    PRINTER = "printer"


class DeviceState(StrEnum):
    """A device's state as a person at the counter needs it."""

    READY = "ready"  # present and answering
    MISSING = "missing"  # not connected, not configured, or not started
    FAULT = "fault"  # present but failing (paper out, cover open, reader error)


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """One device's state, with a reason a clerk understands in both languages."""

    device: Device
    state: DeviceState
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True, slots=True)
class HubStatus:
    """The back office link: ``online`` None means not known (no sync worker running yet)."""

    online: bool | None
    queue_depth: int | None = None
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True, slots=True)
class CounterState:
    """Is the counter open now: ``open`` None means the hours could not be worked out."""

    open: bool | None
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True, slots=True)
class KioskStatus:
    """One poll's result: everything the status bar shows, and when it was taken (UTC)."""

    devices: tuple[DeviceStatus, ...]
    hub: HubStatus
    counter: CounterState
    at: datetime


class StatusSource(Protocol):
    """Where the status bar's values come from. ``poll`` may block: call it off the event loop."""

    def poll(self) -> KioskStatus:
        """Ask every probe once and return the combined status."""
        ...


DeviceProbe = Callable[[], DeviceStatus]
HubProbe = Callable[[], HubStatus]
CounterProbe = Callable[[datetime], CounterState]


def not_connected(device: Device, reason_zh: str, reason_en: str) -> DeviceProbe:
    """A probe for a device the kiosk has no adapter for yet: honestly ``missing``, with why."""

    def probe() -> DeviceStatus:
        return DeviceStatus(device, DeviceState.MISSING, reason_zh, reason_en)

    return probe


class ProbeStatusSource:
    """A :class:`StatusSource` assembled from one probe per device, the hub and the counter.

    A probe that raises does not hide the others: its device is reported as a fault with the
    error's message (a :class:`KioskError` carries one a clerk understands), and the failure
    is logged with its traceback.

    Args:
        device_probes: a probe per device; a device without one shows as missing.
        hub_probe: the back office link's state.
        counter_probe: whether the counter is open at a given UTC time.
        clock: the current UTC time (tests freeze it).
    """

    def __init__(
        self,
        device_probes: Mapping[Device, DeviceProbe],
        hub_probe: HubProbe,
        counter_probe: CounterProbe,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._device_probes = dict(device_probes)
        self._hub_probe = hub_probe
        self._counter_probe = counter_probe
        self._clock = clock

    def poll(self) -> KioskStatus:
        """Ask every probe once (blocking); see the class docstring for failures."""
        at = self._clock.now()
        devices = tuple(self._device(d) for d in Device)
        try:
            hub = self._hub_probe()
        except Exception as e:  # a broken probe must not take the status bar down
            log.exception("hub probe failed")
            hub = HubStatus(None, None, "状态未知", _reason(e))
        try:
            counter = self._counter_probe(at)
        except Exception as e:
            log.exception("counter hours probe failed")
            counter = CounterState(None, "营业时间未知", _reason(e))
        return KioskStatus(devices=devices, hub=hub, counter=counter, at=at)

    def _device(self, device: Device) -> DeviceStatus:
        probe = self._device_probes.get(device)
        if probe is None:
            return DeviceStatus(device, DeviceState.MISSING, "未配置", "not configured")
        try:
            status = probe()
        except Exception as e:
            log.exception("%s probe failed", device.value)
            return DeviceStatus(device, DeviceState.FAULT, "设备故障", _reason(e))
        if status.device is not device:
            # A probe wired to the wrong slot would show one device's state under another's name.
            log.error("probe for %s reported %s", device.value, status.device.value)
            return DeviceStatus(device, DeviceState.FAULT, "状态来源有误", "probe misconfigured")
        return status


def _reason(e: Exception) -> str:
    return e.message if isinstance(e, KioskError) else f"{type(e).__name__}: {e}"
