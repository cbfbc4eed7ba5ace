"""Building a reader by transport name (``[devices.reader] backend`` in kiosk.toml).

:func:`make_reader` takes plain arguments; :func:`reader_from_settings` reads the reader's
settings through the small :class:`ReaderConfig` protocol, so ``hardware`` imports nothing of the
application's settings (``kiosk.config.ReaderSettings`` fits the protocol). The CLI, the app and
the headless visit all build their reader here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

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
    # Imported here: pyscard loads libpcsclite, which reads PCSCLITE_CSOCK_NAME once at its
    # first use (the training rig sets it first); a SAM-only counter never loads it.
    from hardware.idcard.pcsc import PcscReader

    # --device names a reader exactly (as pcsc_scan prints it): match it as text, not a regex.
    pattern = opts.reader_pattern if opts.device is None else "^" + re.escape(opts.device) + "$"
    return PcscReader(pattern, opts.profile)


def _make_sam(opts: ReaderOptions) -> IdCardReader:
    # Imported here: pyserial is needed only by the SAM transport.
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


class ReaderProfileConfig(Protocol):
    """The APDU profile as the settings give it (``[devices.reader.profile]``; ids in hex)."""

    @property
    def name(self) -> str: ...
    @property
    def cla(self) -> int: ...
    @property
    def aid(self) -> str: ...
    @property
    def text_file(self) -> str: ...
    @property
    def photo_file(self) -> str: ...
    @property
    def photo_length(self) -> int: ...
    @property
    def chunk(self) -> int: ...


class ReaderConfig(Protocol):
    """What :func:`reader_from_settings` reads of the reader's settings (``[devices.reader]``)."""

    @property
    def backend(self) -> str: ...
    @property
    def reader_pattern(self) -> str: ...
    @property
    def serial_device(self) -> str: ...
    @property
    def baudrate(self) -> int: ...
    @property
    def sam_answer_timeout_s(self) -> float: ...
    @property
    def profile(self) -> ReaderProfileConfig: ...


def reader_from_settings(
    settings: ReaderConfig, backend: str | None = None, device: str | None = None
) -> IdCardReader:
    """The reader the settings describe; ``backend``/``device`` override them (CLI, training).

    Args:
        settings: the ``[devices.reader]`` settings (``kiosk.config.ReaderSettings``).
        backend: ``"pcsc"`` or ``"sam"`` instead of the configured one.
        device: an exact PC/SC reader name or a serial device path.

    Raises:
        ConfigError: unknown backend name (lists the known ones).
    """
    p = settings.profile
    profile = ApduProfile(
        name=p.name,
        cla=p.cla,
        aid=bytes.fromhex(p.aid),
        text_file=bytes.fromhex(p.text_file),
        photo_file=bytes.fromhex(p.photo_file),
        photo_length=p.photo_length,
        chunk=p.chunk,
    )
    options = ReaderOptions(
        reader_pattern=settings.reader_pattern,
        device=device,
        serial_device=settings.serial_device,
        baudrate=settings.baudrate,
        answer_timeout=settings.sam_answer_timeout_s,
        profile=profile,
    )
    return make_reader(backend or settings.backend, options)
