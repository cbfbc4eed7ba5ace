"""Building a reader by transport name (``[devices.reader] backend`` in kiosk.toml).

Plain arguments, so ``hardware`` needs nothing of the application's settings; the application
maps its ``ReaderSettings`` onto these (``kiosk.shell.cli.idcard.reader_from_settings``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.idcard.base import IdCardReader
from hardware.idcard.profile import ApduProfile
from kiosk.errors import ConfigError


@dataclass(frozen=True)
class ReaderOptions:
    """Everything a transport may need.

    Attributes:
        reader_pattern: PC/SC: regular expression searched in reader names.
        device: PC/SC: an exact reader name; SAM: the serial device (overrides the pattern).
        serial_device: SAM: the configured serial device.
        baudrate: SAM line speed.
        answer_timeout: SAM: seconds one command may take.
        poll: SAM: seconds between find-card polls.
        profile: PC/SC: the APDUs of the reader profile.
    """

    reader_pattern: str = ""
    device: str | None = None
    serial_device: str = "/dev/ttyUSB0"
    baudrate: int = 115200
    answer_timeout: float = 2.0
    poll: float = 0.1
    profile: ApduProfile = field(default_factory=ApduProfile)


def _make_pcsc(opts: ReaderOptions) -> IdCardReader:
    from hardware.idcard.pcsc import PcscReader

    # --device names a reader exactly (as pcsc_scan prints it): match it as text, not a regex.
    pattern = opts.reader_pattern if opts.device is None else "^" + re.escape(opts.device) + "$"
    return PcscReader(pattern, opts.profile)


def _make_sam(opts: ReaderOptions) -> IdCardReader:
    from hardware.idcard.sam import SamReader

    return SamReader(
        opts.device or opts.serial_device,
        baudrate=opts.baudrate,
        answer_timeout=opts.answer_timeout,
        poll=opts.poll,
    )


#: Transports by name.
BACKENDS: dict[str, Callable[[ReaderOptions], IdCardReader]] = {
    "pcsc": _make_pcsc,
    "sam": _make_sam,
}


def make_reader(backend: str, options: ReaderOptions | None = None) -> IdCardReader:
    """Build a reader.

    Args:
        backend: ``"pcsc"`` or ``"sam"``.
        options: how to reach it.

    Raises:
        ConfigError: unknown backend name (lists the known ones).
    """
    try:
        factory = BACKENDS[backend]
    except KeyError:
        raise ConfigError(
            f"ID card reader backend {backend!r} is unknown; choose one of: {', '.join(BACKENDS)}.",
            code="config.idcard.backend",
        ) from None
    return factory(options or ReaderOptions())
