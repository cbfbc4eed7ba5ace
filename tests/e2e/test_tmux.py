"""The kiosk in a real terminal: tmux at the kiosk's size, read back with capture-pane.

This is what `make demo` shows a person: the real ``kiosk --training`` process, the real
terminal driver, the keys as a keyboard sends them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 120, 36
START_DEADLINE_S = 60.0  # a cold start on a busy 2-core machine; normally a few seconds
KEY_DEADLINE_S = 15.0


class Tmux:
    """One tmux server on its own socket (never the user's), with one session."""

    def __init__(self, socket: str, session: str = "kiosk") -> None:
        self.socket = socket
        self.session = session

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def capture(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def send(self, key: str) -> None:
        self.run("send-keys", "-t", self.session, key)
        # Keys sent back-to-back can be lost in tmux (STACK.md); each key is followed by a wait
        # on the screen's content anyway, this only spaces them.
        time.sleep(0.1)

    def wait_for(
        self, predicate: Callable[[str], bool], deadline_s: float, what: str, log: Path
    ) -> str:
        """Capture the pane until ``predicate`` holds; fail with the screen and the logs."""
        end = time.monotonic() + deadline_s
        screen = ""
        while time.monotonic() < end:
            try:
                screen = self.capture()
            except AssertionError:  # the session ended: the kiosk exited
                break
            if predicate(screen):
                return screen
            time.sleep(0.1)
        stderr = log.read_text(errors="replace") if log.exists() else "(no stderr)"
        raise AssertionError(
            f"{what} not seen.\n--- screen ---\n{screen}\n--- stderr ---\n{stderr}"
        )


@pytest.fixture
def kiosk_in_tmux(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (make test installs it: APT_PACKAGES)")
    tmux = Tmux(f"kiosk-test-{os.getpid()}-{tmp_path.name}")
    data = tmp_path / "data"
    log = data / "training" / "logs" / "kiosk.log"
    # Keep the pane after the kiosk exits, so a crash's traceback is on the captured screen.
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g remain-on-exit on\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["TERM"] = "xterm-256color"
    # Textual draws on stderr: nothing is redirected, the pane is the terminal.
    command = f"{sys.executable} -m kiosk --training --data-dir {data}"
    subprocess.run(
        [
            "tmux", "-L", tmux.socket, "-f", str(conf),
            "new-session", "-d", "-s", tmux.session, "-x", str(WIDTH), "-y", str(HEIGHT),
            "-c", str(tmp_path), command,
        ],
        env=env, check=True, timeout=30,
    )  # fmt: skip
    try:
        yield tmux, log
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True)


SERVICES_ZH = (
    "新申请",
    "续期",
    "变更",
    "补办",
    "解锁",
    "注销",
    "密钥恢复",
    "电子印章",
    "领取",
    "退费",
)


def shows(*texts: str) -> Callable[[str], bool]:
    """All of ``texts`` are on the screen (the terminal is drawn in pieces: wait for all)."""
    return lambda screen: all(t in screen for t in texts)


def test_demo_screen_in_a_real_terminal(kiosk_in_tmux: tuple[Tmux, Path]) -> None:
    tmux, log = kiosk_in_tmux
    tmux.wait_for(
        shows("请选择要办理的业务", *SERVICES_ZH, "读卡器", "柜台", "培训模式", "F2 English"),
        START_DEADLINE_S,
        "the Chinese welcome screen with its status bar",
        log,
    )
    size = tmux.run("display", "-p", "-t", tmux.session, "#{pane_width}x#{pane_height}")
    assert size.strip() == f"{WIDTH}x{HEIGHT}"

    tmux.send("F2")
    tmux.wait_for(
        shows("Please choose a service", "New certificate", "Key recovery", "TRAINING", "F2 中文"),
        KEY_DEADLINE_S,
        "the English welcome screen",
        log,
    )

    # The applicant's quit keys do nothing: the kiosk is still there after them.
    tmux.send("C-q")
    tmux.send("C-c")
    tmux.send("F12")
    tmux.wait_for(
        shows("Staff sign-in", "Staff number", "Enter your staff number and PIN."),
        KEY_DEADLINE_S,
        "the staff sign-in screen",
        log,
    )

    tmux.send("Escape")
    tmux.wait_for(shows("Please choose a service"), KEY_DEADLINE_S, "the welcome screen again", log)
