"""The ``[idcard]`` section of kiosk.toml as strict typed settings, and the reader factory.

The application's settings (``kiosk/config.py``) embed :class:`IdCardSettings`; tests and the
CLI build a reader from it with :func:`make_reader`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hardware.idcard.base import IdCardReader
from hardware.idcard.profile import DEFAULT_AID, ApduProfile
from kiosk.errors import ConfigError


def _hex(value: str, *, size: int | None = None, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value.replace(" ", ""))
    except ValueError as e:
        raise ValueError(f"{what} must be hexadecimal bytes, e.g. 'D156000005'") from e
    if size is not None and len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes")
    return raw


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApduProfileSettings(_Section):
    """``[idcard.pcsc.profile]``: the reader profile's APDUs (see :mod:`hardware.idcard.profile`)."""

    name: str = "default"
    cla: Annotated[int, Field(ge=0, le=255)] = 0
    aid: str = DEFAULT_AID.hex().upper()
    text_file: str = "0101"
    photo_file: str = "0102"
    text_length: Annotated[int, Field(ge=256, le=256)] = 256
    photo_length: Annotated[int, Field(ge=0, le=4096)] = 1024
    chunk: Annotated[int, Field(ge=1, le=256)] = 256

    @field_validator("aid")
    @classmethod
    def _aid(cls, v: str) -> str:
        raw = _hex(v, what="aid")
        if not 1 <= len(raw) <= 16:
            raise ValueError("aid must be 1 to 16 bytes")
        return raw.hex().upper()

    @field_validator("text_file", "photo_file")
    @classmethod
    def _fid(cls, v: str) -> str:
        return _hex(v, size=2, what="file id").hex().upper()

    def to_profile(self) -> ApduProfile:
        """The profile object the transport uses."""
        return ApduProfile(
            name=self.name,
            cla=self.cla,
            aid=bytes.fromhex(self.aid),
            text_file=bytes.fromhex(self.text_file),
            photo_file=bytes.fromhex(self.photo_file),
            text_length=self.text_length,
            photo_length=self.photo_length,
            chunk=self.chunk,
        )


class PcscSettings(_Section):
    """``[idcard.pcsc]``: which PC/SC reader, and how to talk to the card."""

    reader: str = ""
    """Regular expression searched in reader names; empty takes the first reader."""
    profile: ApduProfileSettings = ApduProfileSettings()


class SamSettings(_Section):
    """``[idcard.sam]``: the reader's security module on a serial line."""

    device: str = "/dev/ttyUSB0"
    baudrate: Annotated[int, Field(gt=0)] = 115200
    answer_timeout: Annotated[float, Field(gt=0, le=30)] = 2.0
    poll: Annotated[float, Field(gt=0, le=5)] = 0.1


class IdCardSettings(_Section):
    """``[idcard]``: the agent's ID card reader."""

    transport: Literal["pcsc", "sam"] = "pcsc"
    read_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    """Seconds ``kiosk idcard read`` waits for a card."""
    pcsc: PcscSettings = PcscSettings()
    sam: SamSettings = SamSettings()


def _make_pcsc(settings: IdCardSettings, device: str | None) -> IdCardReader:
    from hardware.idcard.pcsc import PcscReader

    pattern = settings.pcsc.reader if device is None else _literal(device)
    return PcscReader(pattern, settings.pcsc.profile.to_profile())


def _make_sam(settings: IdCardSettings, device: str | None) -> IdCardReader:
    from hardware.idcard.sam import SamReader

    s = settings.sam
    return SamReader(
        device or s.device, baudrate=s.baudrate, answer_timeout=s.answer_timeout, poll=s.poll
    )


def _literal(name: str) -> str:
    # --device names a reader exactly (as `pcsc_scan` prints it); match it as text, not a regex.
    import re

    return "^" + re.escape(name) + "$"


#: Transports by name (``[idcard] transport``).
BACKENDS: dict[str, Callable[[IdCardSettings, str | None], IdCardReader]] = {
    "pcsc": _make_pcsc,
    "sam": _make_sam,
}


def make_reader(
    settings: IdCardSettings | None = None, transport: str | None = None, device: str | None = None
) -> IdCardReader:
    """Build the configured reader.

    Args:
        settings: the ``[idcard]`` section (defaults when None).
        transport: overrides ``settings.transport``.
        device: a PC/SC reader name or a serial device path, overriding the configured one.

    Raises:
        ConfigError: unknown transport name (lists the known ones).
    """
    settings = settings or IdCardSettings()
    name = transport or settings.transport
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"[idcard] transport {name!r} is unknown; choose one of: {', '.join(BACKENDS)}.",
            code="config.idcard.transport",
        ) from None
    return factory(settings, device)
