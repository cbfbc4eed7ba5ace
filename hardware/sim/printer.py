"""A receipt printer on loopback TCP: the stand-in for tests, training and `kiosk sim printer`.

It speaks the printer's side of ESC/POS over a raw TCP socket (port 9100 style): it answers the
real-time status queries ``DLE EOT n`` (n = 1 printer, 2 offline cause, 3 error cause, 4 paper)
from its current state, and stores the bytes of each connection (one job) as ``job-NNNN.bin`` in
its output folder. It tokenizes the stream with the decoder's tokenizer, so a status query is
recognised only at a command boundary, never inside image data.

States, set in-process (:meth:`PrinterSim.set_state`) or from anywhere by writing one word to
``<out>/state`` (what ``kiosk sim printer-state`` does): ``ready``, ``paper-low`` (prints, warns),
``paper-out``, ``cover-open``, ``error`` (prints nothing, says why when asked) and ``offline``
(connections are reset at once, as a switched-off printer's port refuses them). Bytes received
while not printing are kept as ``lost-NNNN.bin``; a job cut short is ``job-NNNN.partial.bin``.
A one-shot fault, ``drop-after N`` (write ``N`` to ``<out>/fault``), closes the next job's
connection after N bytes: the printer unplugged mid-job.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from pathlib import Path

from hardware.sim.escpos_decode import DecodeError, next_token

log = logging.getLogger(__name__)

STATES = ("ready", "paper-low", "paper-out", "cover-open", "error", "offline")
_PRINTS = {"ready", "paper-low"}
# DLE EOT replies per state: n -> byte. Fixed bits 1 and 4 are always set (0x12).
_REPLIES: dict[str, dict[int, int]] = {
    "ready": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper-low": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 | 0x0C},
    "paper-out": {1: 0x12 | 0x08, 2: 0x12 | 0x20, 3: 0x12, 4: 0x12 | 0x0C | 0x60},
    "cover-open": {1: 0x12 | 0x08, 2: 0x12 | 0x04, 3: 0x12, 4: 0x12},
    "error": {1: 0x12 | 0x08, 2: 0x12 | 0x40, 3: 0x12 | 0x08, 4: 0x12},
}


class PrinterSim:
    """The stand-in printer. Use as a context manager, or :meth:`start` / :meth:`stop`.

    Args:
        out_dir: where job files and the ``state``/``fault`` control files live.
        port: TCP port on 127.0.0.1 (0 picks a free one; see :attr:`port`).
        state: the state to start in (also written to ``<out>/state``).
    """

    def __init__(self, out_dir: str | Path, *, port: int = 0, state: str = "ready"):
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self._want_port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._jobs_changed = threading.Condition(self._lock)
        self._counter = len(list(self.out.glob("job-*.bin"))) + len(list(self.out.glob("lost-*")))
        self.connections = 0
        self.status_queries = 0
        self.set_state(state)

    # -- control -------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        """The control file holding the current state word."""
        return self.out / "state"

    def set_state(self, state: str) -> None:
        """Change state (``ready paper-low paper-out cover-open error offline``)."""
        if state not in STATES:
            raise ValueError(f"unknown printer state {state!r}; valid: {', '.join(STATES)}")
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(state + "\n", encoding="ascii")
        tmp.replace(self.state_file)

    @property
    def state(self) -> str:
        """The current state (read from the control file, so other processes can change it)."""
        try:
            word = self.state_file.read_text(encoding="ascii").strip()
        except OSError:
            return "ready"
        return word if word in STATES else "ready"

    def set_fault_drop_after(self, nbytes: int) -> None:
        """Cut the next job's connection after ``nbytes`` bytes (one shot)."""
        (self.out / "fault").write_text(str(nbytes), encoding="ascii")

    def _take_fault(self) -> int | None:
        f = self.out / "fault"
        try:
            n = int(f.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None
        f.unlink(missing_ok=True)
        return n

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        assert self._sock is not None, "start() first"
        return int(self._sock.getsockname()[1])

    @property
    def uri(self) -> str:
        """``tcp://127.0.0.1:PORT``, for kiosk.toml or ``--printer``."""
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> PrinterSim:
        """Listen and serve in a background thread."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self._want_port))
        s.listen(16)
        s.settimeout(0.2)
        self._sock = s
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="printer-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and wait for the server thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> PrinterSim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve until interrupted (for ``kiosk sim printer``)."""
        if self._thread is None:
            self.start()
        try:
            while not self._stop.is_set():
                self._stop.wait(0.5)
        finally:
            self.stop()

    # -- jobs ----------------------------------------------------------------------------------
    def jobs(self) -> list[bytes]:
        """Bytes of every complete job, oldest first."""
        return [
            p.read_bytes() for p in sorted(self.out.glob("job-*.bin")) if ".partial" not in p.name
        ]

    def partial_jobs(self) -> list[bytes]:
        """Bytes of jobs cut short (fault, or the state changed mid-job)."""
        return [p.read_bytes() for p in sorted(self.out.glob("job-*.partial.bin"))]

    def lost(self) -> list[bytes]:
        """Bytes received while the printer could not print."""
        return [p.read_bytes() for p in sorted(self.out.glob("lost-*.bin"))]

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """Wait until at least ``count`` complete jobs exist; returns them.

        Raises:
            TimeoutError: fewer jobs by the deadline.
        """
        deadline = time.monotonic() + timeout
        with self._jobs_changed:
            while True:
                jobs = self.jobs()
                if len(jobs) >= count:
                    return jobs
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(jobs)} of {count} jobs printed in {timeout} s")
                self._jobs_changed.wait(min(left, 0.5))

    def _save(self, prefix: str, data: bytes, partial: bool = False) -> None:
        with self._jobs_changed:
            self._counter += 1
            name = f"{prefix}-{self._counter:04d}{'.partial' if partial else ''}.bin"
            tmp = self.out / (name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(self.out / name)
            self._jobs_changed.notify_all()

    # -- serving -------------------------------------------------------------------------------
    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            self.connections += 1
            if self.state == "offline":
                _reset(conn)
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        buf = bytearray()
        pos = 0
        printed = bytearray()
        lost = bytearray()
        cut_short = False
        drop_after = self._take_fault()
        tokenizing = True
        conn.settimeout(0.2)
        try:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    if self.state == "offline":
                        cut_short = bool(printed)
                        _reset(conn)
                        return
                    continue
                except OSError:
                    cut_short = bool(printed)
                    break
                if not chunk:
                    break
                buf += chunk
                state = self.state  # once per chunk: a file read per byte would be the bottleneck
                while tokenizing:
                    try:
                        got = next_token(buf, pos)
                    except DecodeError as e:
                        log.warning("printer stand-in: %s; storing the rest unread", e)
                        tokenizing = False
                        break
                    if got is None:
                        break
                    tok, pos = got
                    raw = bytes(buf[tok.start : tok.end])
                    if tok.kind == "DLE EOT":
                        self.status_queries += 1
                        if state == "offline":
                            cut_short = bool(printed)
                            _reset(conn)
                            return
                        try:
                            conn.sendall(bytes([_REPLIES[state].get(tok.args[0], 0x12)]))
                        except OSError:  # the kiosk hung up without waiting for the answer
                            return
                        continue
                    if state in _PRINTS:
                        if lost:
                            cut_short = True
                        printed += raw
                    else:
                        if printed:
                            cut_short = True
                        lost += raw
                    if drop_after is not None and len(printed) >= drop_after:
                        _reset(conn)
                        cut_short = True
                        return
                if not tokenizing:
                    rest = bytes(buf[pos:])
                    (printed if state in _PRINTS else lost).extend(rest)
                    pos = len(buf)
                if pos > 1 << 20:  # keep memory bounded on long connections
                    del buf[:pos]
                    pos = 0
        finally:
            conn.close()
            if printed:
                self._save("job", bytes(printed), partial=cut_short)
            if lost:
                self._save("lost", bytes(lost))


def _reset(conn: socket.socket) -> None:
    """Close with RST (as a printer that is switched off refuses), not an orderly FIN."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
