"""The receipt printer: where it is (a URI), what state it is in, and sending a job to it.

Backends are python-escpos's own (``Network``, ``Usb``, ``Serial``, ``File``), chosen by the URI's
scheme through a plain dict. Every vendor exception is translated here into a
:class:`~kiosk.errors.PrinterError` with a code the screens and the print queue understand.

A job is sent in one connection: status query, bytes, status query. A status reply is one
signal among others ("status bits are not trusted alone"): the job counts as printed only when
the bytes were written without an error *and* the printer reported no error afterwards. Backends
that cannot answer (a ``file://`` device, a USB printer without an IN endpoint) report
``unknown``, and then the write alone decides.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeGuard, get_args
from urllib.parse import parse_qs, urlparse

from hardware.printer.doc import Doc
from hardware.printer.render import PrinterModel, render
from kiosk.errors import ConfigError, PrinterError

log = logging.getLogger(__name__)

URI_FORMS = "tcp://HOST:PORT, usb://VID:PID, serial:///dev/ttyS0, file:///dev/usb/lp0"

StateName = Literal["ready", "paper_low", "paper_out", "cover_open", "offline", "error", "unknown"]
STATE_NAMES: frozenset[str] = frozenset(get_args(StateName))


def is_state_name(word: str) -> TypeGuard[StateName]:
    """Whether ``word`` names a printer state (the tail of a ``printer.*`` error code may)."""
    return word in STATE_NAMES


# (English, 中文) for the status bar.
_WORDS: dict[str, tuple[str, str]] = {
    "ready": ("Printer ready", "打印机就绪"),
    "paper_low": ("Printer paper running low", "打印纸即将用完"),
    "paper_out": ("Printer out of paper: load a new roll", "打印机缺纸：请装入新纸卷"),
    "cover_open": ("Printer cover open: close it", "打印机盖未关：请关好机盖"),
    "offline": (
        "Printer offline or unreachable: check power and cable",
        "打印机离线：请检查电源和连线",
    ),
    "error": (
        "Printer reports an error: check the cutter and paper path",
        "打印机故障：请检查切刀和走纸",
    ),
    "unknown": ("Printer status unknown (it does not report status)", "打印机状态未知"),
}
# States in which a job may be sent.
_SENDABLE = {"ready", "paper_low", "unknown"}

DLE_EOT = b"\x10\x04"


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the printer said about itself, in words for the status bar.

    Attributes:
        state: one of ``ready paper_low paper_out cover_open offline error unknown``.
        detail: extra words (the OS error of an unreachable printer).
    """

    state: StateName
    detail: str = ""

    @property
    def ready(self) -> bool:
        """A job may be sent (``unknown`` included: the write then decides)."""
        return self.state in _SENDABLE

    @property
    def message(self) -> str:
        """English, for logs and the CLI."""
        base = _WORDS[self.state][0]
        return f"{base} ({self.detail})" if self.detail else base

    @property
    def message_zh(self) -> str:
        """中文, for the status bar."""
        return _WORDS[self.state][1]

    @property
    def code(self) -> str:
        """The error code a job waiting on this status records (``printer.paper_out``)."""
        return f"printer.{self.state}"

    def error(self) -> PrinterError:
        """The error a job meets when the printer is in this state."""
        return PrinterError(self.message, code=self.code)


def status_from_bytes(
    printer: int | None, offline_cause: int | None, paper: int | None
) -> PrinterStatus:
    """Interpret ``DLE EOT 1``, ``2`` and ``4`` replies (None: no reply to that query).

    Bits (Epson's ESC/POS reference): n=1 bit 3 offline; n=2 bit 2 cover open, bit 5 stopped at
    paper end, bit 6 error; n=4 bits 5–6 paper end, bits 2–3 near end.
    """
    if printer is None:
        return PrinterStatus("unknown")
    if paper is not None and paper & 0x60:
        return PrinterStatus("paper_out")
    if printer & 0x08:
        cause = offline_cause or 0
        if cause & 0x04:
            return PrinterStatus("cover_open")
        if cause & 0x20:
            return PrinterStatus("paper_out")
        if cause & 0x40:
            return PrinterStatus("error")
        return PrinterStatus("offline", "printer reports offline")
    if paper is not None and paper & 0x0C:
        return PrinterStatus("paper_low")
    return PrinterStatus("ready")


@dataclass(frozen=True, slots=True)
class PrinterTarget:
    """A parsed printer URI."""

    scheme: Literal["tcp", "usb", "serial", "file"]
    host: str = ""
    port: int = 9100
    vid: int = 0
    pid: int = 0
    path: str = ""
    baudrate: int = 9600

    @property
    def uri(self) -> str:
        """The URI again, normalised."""
        if self.scheme == "tcp":
            return f"tcp://{self.host}:{self.port}"
        if self.scheme == "usb":
            return f"usb://{self.vid:04x}:{self.pid:04x}"
        return f"{self.scheme}://{self.path}"


def parse_uri(uri: str) -> PrinterTarget:
    """Parse a printer URI.

    Raises:
        ConfigError: not one of the accepted forms (listed in the message).
    """

    def bad(why: str) -> ConfigError:
        return ConfigError(
            f"printer URI {uri!r}: {why}; use one of {URI_FORMS}", code="config.printer_uri"
        )

    u = urlparse(uri.strip())
    if u.scheme == "tcp":
        if not u.hostname:
            raise bad("no host")
        try:
            port = u.port or 9100
        except ValueError:
            raise bad("the port is not a number from 1 to 65535") from None
        return PrinterTarget("tcp", host=u.hostname, port=port)
    if u.scheme == "usb":
        parts = (u.netloc or u.path.lstrip("/")).split(":")
        try:
            vid, pid = (int(p, 16) for p in parts)
        except ValueError:
            raise bad("USB ids must be hexadecimal VID:PID like 04b8:0202") from None
        return PrinterTarget("usb", vid=vid, pid=pid)
    if u.scheme in ("serial", "file"):
        if u.netloc or not u.path.startswith("/"):
            raise bad("the device path must be absolute (three slashes)")
        baud = parse_qs(u.query).get("baudrate", ["9600"])[0]
        if not baud.isdigit():
            raise bad("baudrate must be a number")
        scheme: Literal["serial", "file"] = "serial" if u.scheme == "serial" else "file"
        return PrinterTarget(scheme, path=u.path, baudrate=int(baud))
    raise bad(f"unknown scheme {u.scheme!r}")


def _open_escpos(target: PrinterTarget, model: PrinterModel, timeout: float) -> Any:
    """Open a python-escpos printer object for ``target`` (connection established)."""
    from escpos import exceptions as ex

    try:
        if target.scheme == "tcp":
            from escpos.printer import Network

            p: Any = Network(target.host, target.port, timeout=timeout, profile=model.profile)
        elif target.scheme == "usb":
            from escpos.printer import Usb

            if not Usb.is_usable():
                raise PrinterError(
                    "USB printing needs the pyusb package (pip install pyusb)",
                    code="printer.usb_unavailable",
                )
            p = Usb(target.vid, target.pid, timeout=int(timeout * 1000), profile=model.profile)
        elif target.scheme == "serial":
            from escpos.printer import Serial

            p = Serial(
                target.path, baudrate=target.baudrate, timeout=timeout, profile=model.profile
            )
        else:
            from escpos.printer import File

            p = File(target.path, profile=model.profile)
        p.open()
        if target.scheme == "tcp":
            # Status queries are tiny writes after the job's bytes: without NODELAY, Nagle holds
            # each one until the printer's delayed ACK (about 40 ms apiece).
            p.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return p
    except PrinterError:
        raise
    except (ex.Error, OSError) as e:
        raise PrinterError(
            " ".join(f"printer {target.uri} unreachable: {e}".split()), code="printer.offline"
        ) from e
    except Exception as e:  # pyusb/pyserial raise their own trees (USBError, SerialException)
        raise PrinterError(
            f"printer {target.uri} unreachable: {e}".strip(), code="printer.offline"
        ) from e


class Printer(Protocol):
    """What the print queue needs of a printer."""

    model: PrinterModel

    def status(self) -> PrinterStatus:
        """Ask the printer for its state (never raises: unreachable is ``offline``)."""
        ...

    def send(self, data: bytes) -> None:
        """Send one job.

        Raises:
            PrinterError: not ready (``printer.paper_out``, ``printer.cover_open``,
                ``printer.offline``, ``printer.error``) or failed mid-job
                (``printer.write_failed``).
        """
        ...


class EscposPrinter:
    """A real printer through python-escpos.

    Args:
        target: where it is (:func:`parse_uri`).
        model: its profile and Chinese mode.
        timeout: seconds for connecting and writing.
        status_timeout: seconds to wait for each status reply.
    """

    def __init__(
        self,
        target: PrinterTarget,
        model: PrinterModel,
        *,
        timeout: float = 5.0,
        status_timeout: float = 1.0,
    ):
        self.target = target
        self.model = model
        self.timeout = timeout
        self.status_timeout = status_timeout

    @classmethod
    def from_uri(cls, uri: str, model: PrinterModel, **kw: float) -> EscposPrinter:
        """Build from a URI string (``ConfigError`` when malformed)."""
        return cls(parse_uri(uri), model, **kw)

    @property
    def can_query_status(self) -> bool:
        """Whether this connection can read status replies."""
        return self.target.scheme in ("tcp", "usb", "serial")

    def _query(self, p: Any, n: int) -> int | None:
        try:
            p._raw(DLE_EOT + bytes([n]))
            if self.target.scheme == "tcp":
                sock: socket.socket = p.device
                sock.settimeout(self.status_timeout)
                try:
                    data = sock.recv(1)
                finally:
                    sock.settimeout(self.timeout)
                if not data:
                    raise PrinterError("printer closed the connection", code="printer.offline")
            elif self.target.scheme == "serial":
                # python-escpos reads 16 bytes (waiting the full timeout for a 1-byte answer).
                port = p.device
                port.timeout = self.status_timeout
                try:
                    data = port.read(1)
                finally:
                    port.timeout = self.timeout
            else:
                data = p._read()
        except TimeoutError:
            return None
        except PrinterError:
            raise
        except NotImplementedError:
            return None
        except Exception as e:
            raise PrinterError(f"printer stopped answering: {e}", code="printer.offline") from e
        return data[0] if data else None

    def _read_status(self, p: Any) -> PrinterStatus:
        if not self.can_query_status:
            return PrinterStatus("unknown")
        first = self._query(p, 1)
        if first is None:
            return PrinterStatus("unknown")
        cause = self._query(p, 2) if first & 0x08 else None
        paper = self._query(p, 4)
        return status_from_bytes(first, cause, paper)

    def status(self) -> PrinterStatus:
        """Connect, ask, disconnect. Unreachable is ``offline`` with the reason."""
        try:
            p = _open_escpos(self.target, self.model, self.timeout)
        except PrinterError as e:
            return PrinterStatus("offline", " ".join(str(e.__cause__ or e).split()))
        try:
            return self._read_status(p)
        except PrinterError as e:
            return PrinterStatus("offline", e.message)
        finally:
            _close(p)

    def send(self, data: bytes) -> None:
        """Send one job (see :class:`Printer`)."""
        started = time.monotonic()
        p = _open_escpos(self.target, self.model, self.timeout)
        try:
            before = self._read_status(p)
            if not before.ready:
                raise before.error()
            try:
                p._raw(data)
            except Exception as e:
                raise PrinterError(
                    f"printer {self.target.uri} failed during the job: {e}",
                    code="printer.write_failed",
                ) from e
            after = self._read_status(p)
            if not after.ready:
                err = after.error()
                err.message = f"{err.message} (reported after the job was sent)"
                raise err
        finally:
            _close(p)
        log.info(
            "printed %d bytes to %s in %.0f ms",
            len(data),
            self.target.uri,
            (time.monotonic() - started) * 1000,
        )

    def print_doc(self, doc: Doc) -> None:
        """Render and send a document."""
        self.send(render(doc, self.model))


def _close(p: Any) -> None:
    try:
        p.close()
    except Exception:  # closing a dead connection: nothing left to save
        log.debug("closing printer connection failed", exc_info=True)
    # python-escpos closes again in __del__; mark it closed so that is a no-op.
    p._device = False
