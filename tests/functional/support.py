"""Stand-ins the screen tests share: a fixed status source, a frozen time, a deadline wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from textual.pilot import Pilot

from kiosk.status import (
    CounterState,
    Device,
    DeviceState,
    DeviceStatus,
    HubStatus,
    KioskStatus,
)

# Monday 23 November 2026, 10:00 in Dongguan: the counter is open.
FROZEN_UTC = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

SAMPLE_STATUS = KioskStatus(
    devices=(
        DeviceStatus(Device.READER, DeviceState.READY, "", ""),
        DeviceStatus(Device.TOKEN, DeviceState.MISSING, "未插入介质", "no key inserted"),
        DeviceStatus(Device.CAMERA, DeviceState.READY, "", ""),
        DeviceStatus(Device.PRINTER, DeviceState.FAULT, "打印机缺纸", "out of paper"),
    ),
    hub=HubStatus(False, 3, "后台无法连接，稍后重试", "hub unreachable, retrying"),
    counter=CounterState(True, "营业中，12:00 午休", "open until 12:00"),
    at=FROZEN_UTC,
)


class FixedStatus:
    """A status source that always reports the same status, and counts the polls."""

    def __init__(self, status: KioskStatus = SAMPLE_STATUS) -> None:
        self.status = status
        self.polls = 0

    def poll(self) -> KioskStatus:
        self.polls += 1
        return self.status


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.02)
