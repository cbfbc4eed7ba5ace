"""The supervisor console opens no device: run for real in a terminal (tmux), beside traps.

Every device the kiosk would open is a trap that counts who comes: the printer's TCP port and
the hub's URL are listening sockets, the PC/SC service's socket (``PCSCLITE_CSOCK_NAME``) is a
listening Unix socket, and the PKCS#11 module is SoftHSM2 with no configuration. The console is
started in training mode (where the kiosk would start pcscd, SoftHSM2 keys, the printer stand-in
and a hub), a supervisor signs in, it reads the store several times; then nothing came to any
trap, no device library is mapped into the process, it holds no device file, and it started no
process.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import default_config_text
from tests.e2e.test_tmux import HEIGHT, KEY_DEADLINE_S, START_DEADLINE_S, WIDTH, Tmux, shows
from tests.support.console_store import SUPERVISOR, add_staff, populate

pytestmark = pytest.mark.e2e

DEVICE_LIBRARIES = ("libsofthsm2", "libpcsclite", "_pkcs11", "smartcard", "cv2", "escpos", "usb")


class Trap:
    """A listening socket that counts connections (and answers none)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.visits = 0
        sock.listen(8)
        sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.visits += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def _tcp_trap() -> Trap:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    return Trap(s)


def _unix_trap(path: Path) -> Trap:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    return Trap(s)


@pytest.fixture
def traps(tmp_path: Path) -> Iterator[dict[str, Trap]]:
    t = {
        "printer": _tcp_trap(),
        "hub": _tcp_trap(),
        "pcscd": _unix_trap(tmp_path / "pcscd.comm"),
    }
    try:
        yield t
    finally:
        for trap in t.values():
            trap.close()


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(c) for c in text]
    return out


def test_the_console_opens_no_device(tmp_path: Path, traps: dict[str, Trap]) -> None:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (make test installs it: APT_PACKAGES)")
    data = tmp_path / "kiosk-data"  # not "data": the cwd is on sys.path, it would shadow data/
    visits = populate(data / "training")
    add_staff(visits.database)
    printer_port = traps["printer"].sock.getsockname()[1]
    hub_port = traps["hub"].sock.getsockname()[1]
    config = tmp_path / "kiosk.toml"
    config.write_text(
        default_config_text()
        .replace('uri = "tcp://127.0.0.1:9100"', f'uri = "tcp://127.0.0.1:{printer_port}"')
        .replace(
            'url = "https://hub.netca.example/api/v1"', f'url = "http://127.0.0.1:{hub_port}"'
        ),
        encoding="utf-8",
    )
    assert f"127.0.0.1:{printer_port}" in config.read_text()

    tmux = Tmux(f"console-test-{os.getpid()}-{tmp_path.name}", "console")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "SOFTHSM"))}
    env |= {
        "TERM": "xterm-256color",
        "PCSCLITE_CSOCK_NAME": str(tmp_path / "pcscd.comm"),
        "SOFTHSM2_CONF": str(tmp_path / "no-softhsm.conf"),
    }
    command = (
        f"exec {sys.executable} -m kiosk --config {config} --training --data-dir {data}"
        " supervise --refresh 1"
    )
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g remain-on-exit on\n")
    log = data / "training" / "logs" / "console.log"
    subprocess.run(
        [
            "tmux", "-L", tmux.socket, "-f", str(conf),
            "new-session", "-d", "-s", tmux.session, "-x", str(WIDTH), "-y", str(HEIGHT),
            "-c", str(tmp_path), command,
        ],
        env=env, check=True, timeout=30,
    )  # fmt: skip
    try:
        tmux.wait_for(shows("主管登录", "工号", "密码"), START_DEADLINE_S, "the sign-in", log)
        pid = int(tmux.run("display", "-p", "-t", tmux.session, "#{pane_pid}").strip())
        assert "supervise" in Path(f"/proc/{pid}/cmdline").read_text()
        for key in SUPERVISOR[0]:
            tmux.send(key)
        tmux.wait_for(shows(SUPERVISOR[0]), KEY_DEADLINE_S, "the staff number typed", log)
        for key in ("Enter", *SUPERVISOR[2], "Enter"):  # Enter moves on to the PIN field
            tmux.send(key)
        screen = tmux.wait_for(
            shows("今日业务", visits.done, visits.failed, visits.open),
            KEY_DEADLINE_S,
            "today's visits",
            log,
        )
        first = re.search(r"更新于 (\d\d:\d\d:\d\d)", screen)
        assert first, screen
        tmux.send("5")  # the devices view: read from the store, not from the devices
        tmux.wait_for(
            lambda s: (
                "尚未记录" in s
                and (m := re.search(r"更新于 (\d\d:\d\d:\d\d)", s)) is not None
                and m.group(1) != first.group(1)
            ),
            KEY_DEADLINE_S,
            "the devices view after another read",
            log,
        )
        maps = Path(f"/proc/{pid}/maps").read_text()
        fds = [os.readlink(p) for p in Path(f"/proc/{pid}/fd").iterdir() if p.exists()]
        children = _children(pid)
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True)
    assert {name: t.visits for name, t in traps.items()} == {"printer": 0, "hub": 0, "pcscd": 0}
    mapped = [lib for lib in DEVICE_LIBRARIES if re.search(rf"/{lib}[^/]*\.so", maps)]
    assert mapped == [], f"device libraries loaded: {mapped}"
    devices = [
        f for f in fds if f.startswith("/dev/") and not re.match(r"/dev/(null|pts/|tty|urandom)", f)
    ]
    assert devices == [], devices
    assert children == [], "the console started a process (a stand-in, pcscd, a hub?)"
    assert not (data / "training" / "run" / "printer").exists(), "a printer stand-in was made"
