"""The status bar's probe of the ID card reader (Textual-free: it runs in the status worker).

PC/SC: a context of its own lists the readers (cheap, and independent of the screen's monitor).
SAM: only whether the serial device exists; opening it would interleave frames with a running
monitor.
"""

from __future__ import annotations

import os

from hardware.idcard.errors import IdCardError, NoReader, PcscUnavailable
from kiosk.config import ReaderSettings
from kiosk.status import Device, DeviceProbe, DeviceState, DeviceStatus


def reader_probe(reader: ReaderSettings) -> DeviceProbe:
    """A probe answering ready / missing / fault for the configured reader."""

    def probe() -> DeviceStatus:
        if reader.backend == "sam":
            path = reader.serial_device
            if "://" in path or os.path.exists(path):
                return DeviceStatus(Device.READER, DeviceState.READY)
            return DeviceStatus(
                Device.READER, DeviceState.MISSING, "未找到读卡器串口", f"no serial device {path}"
            )
        # Imported here: pyscard loads libpcsclite, which reads PCSCLITE_CSOCK_NAME once at its
        # first use; a SAM-only counter never loads it.
        from hardware.idcard.pcsc import PcscReader

        pcsc = PcscReader(reader.reader_pattern)
        try:
            pcsc.open()
        except NoReader:
            return DeviceStatus(Device.READER, DeviceState.MISSING, "未连接读卡器", "no reader")
        except PcscUnavailable:
            return DeviceStatus(
                Device.READER, DeviceState.MISSING, "读卡服务未运行", "pcscd not running"
            )
        except IdCardError as e:
            return DeviceStatus(Device.READER, DeviceState.FAULT, "读卡器故障", e.message)
        finally:
            pcsc.close()
        return DeviceStatus(Device.READER, DeviceState.READY)

    return probe
