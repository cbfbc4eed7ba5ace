"""A small background process holding the training-mode ID card: ``kiosk sim card …``.

The card must stay "inserted" after the command that inserted it has exited (vpcd sees a card
only while its TCP connection is open), so a daemon owns it. It listens on a Unix socket in the
data directory's ``run/`` folder (``idcard-sim.sock``, with ``idcard-sim.pid``) and takes one JSON
request per connection:

- ``{"op": "insert", "person": PATH, "reader": "pcsc"|"sam", "port": 35963}``
- ``{"op": "remove"}``, ``{"op": "status"}``, ``{"op": "stop"}``

It also runs a simulated SAM on a pty (path in the status, and in ``idcard-sim.pty``) so the
serial path can be exercised with the same people. Answers are ``{"ok": true, ...}`` or
``{"ok": false, "error": "...", "code": "..."}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from hardware.sim.person import load_card, resolve_person
from hardware.sim.sam import SimulatedSam
from hardware.sim.vicc import VPCD_PORT, SimError, VirtualCard
from kiosk.errors import KioskError

SOCKET_NAME = "idcard-sim.sock"
PID_NAME = "idcard-sim.pid"
PTY_NAME = "idcard-sim.pty"


class CardDaemon:
    """The daemon's state: at most one card, on the virtual PC/SC reader or on the SAM."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.sam = SimulatedSam().start()
        self.card: VirtualCard | None = None
        self.person: str | None = None
        self.reader: str | None = None
        self._stop = threading.Event()

    def handle(self, req: dict[str, object]) -> dict[str, object]:
        op = req.get("op")
        try:
            if op == "insert":
                return self._insert(req)
            if op == "remove":
                self._remove()
                return {"ok": True, **self._status()}
            if op == "status":
                return {"ok": True, **self._status()}
            if op == "stop":
                self._remove()
                self._stop.set()
                return {"ok": True, "stopped": True}
        except KioskError as e:
            return {"ok": False, "error": e.message, "code": e.code}
        return {"ok": False, "error": f"unknown op {op!r}", "code": "sim.bad_request"}

    def _status(self) -> dict[str, object]:
        inserted = self.reader == "sam" or (self.card is not None and self.card.inserted)
        return {
            "inserted": bool(self.person) and inserted,
            "person": self.person if inserted else None,
            "reader": self.reader if inserted else None,
            "sam_pty": self.sam.path,
            "pid": os.getpid(),
        }

    def _insert(self, req: dict[str, object]) -> dict[str, object]:
        person = str(req.get("person", ""))
        reader = str(req.get("reader", "pcsc"))
        if reader not in ("pcsc", "sam"):
            return {
                "ok": False,
                "error": f"reader must be pcsc or sam, not {reader!r}",
                "code": "sim.bad_request",
            }
        image = load_card(person)
        self._remove()
        if reader == "pcsc":
            port = int(str(req.get("port", VPCD_PORT)))
            card = VirtualCard(image, port=port)
            card.insert()
            self.card = card
        else:
            self.sam.place(image)
        self.person, self.reader = str(resolve_person(person)), reader
        return {"ok": True, **self._status()}

    def _remove(self) -> None:
        if self.card is not None:
            self.card.remove()
            self.card = None
        self.sam.take_away()
        self.person = self.reader = None

    def serve(self) -> None:
        sock_path = self.run_dir / SOCKET_NAME
        with contextlib.suppress(FileNotFoundError):
            sock_path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(sock_path))
        server.listen(4)
        server.settimeout(0.5)
        (self.run_dir / PTY_NAME).write_text(self.sam.path + "\n")
        (self.run_dir / PID_NAME).write_text(f"{os.getpid()}\n")
        try:
            while not self._stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(10)
                    answer = self.handle(_recv_json(conn))
                    conn.sendall(json.dumps(answer).encode() + b"\n")
        finally:
            server.close()
            self._remove()
            self.sam.stop()
            for name in (SOCKET_NAME, PID_NAME, PTY_NAME):
                with contextlib.suppress(FileNotFoundError):
                    (self.run_dir / name).unlink()


def _recv_json(conn: socket.socket) -> dict[str, object]:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
    try:
        data = json.loads(buf or b"{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


# -- client side (the CLI) -------------------------------------------------------------------


def request(
    run_dir: Path, req: dict[str, object], timeout: float = 10.0
) -> dict[str, object] | None:
    """Send one request; None when no daemon listens."""
    path = run_dir / SOCKET_NAME
    if not path.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall(json.dumps(req).encode() + b"\n")
            return _recv_json(s)
    except (ConnectionRefusedError, FileNotFoundError):
        return None
    except OSError as e:
        raise SimError(
            f"The card stand-in at {path} did not answer: {e}.", code="sim.daemon"
        ) from e


def ensure_daemon(run_dir: Path, timeout: float = 10.0) -> None:
    """Start the daemon in the background unless one already answers.

    Raises:
        SimError: it did not come up in time.
    """
    if request(run_dir, {"op": "status"}) is not None:
        return
    sock = run_dir.resolve() / SOCKET_NAME
    if len(os.fsencode(sock)) > 107:  # sockaddr_un holds 108 bytes with the terminating NUL
        raise SimError(
            f"The data directory's path is too long for a Unix socket ({sock}); "
            "use a shorter --data-dir.",
            code="sim.path_too_long",
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    log = (run_dir / "idcard-sim.log").open("ab")
    subprocess.Popen(
        [sys.executable, "-m", "hardware.sim.daemon", "--run-dir", str(run_dir)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
    )
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if request(run_dir, {"op": "status"}) is not None:
            return
        time.sleep(0.02)
    raise SimError(
        f"The card stand-in did not start within {timeout} s; see {run_dir / 'idcard-sim.log'}.",
        code="sim.daemon",
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m hardware.sim.daemon --run-dir DIR``: run the daemon in the foreground."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    daemon = CardDaemon(args.run_dir)
    signal.signal(signal.SIGTERM, lambda *_: daemon._stop.set())
    daemon.serve()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
