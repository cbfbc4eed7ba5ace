"""Cold start of the kiosk screen, beside a bare Textual app started the same way.

The measure: from spawning a fresh ``python -m kiosk --training --data-dir <new empty dir>``
on a pseudo-terminal of the kiosk's size (120 x 36) until the welcome screen's heading
("请选择要办理的业务") has been written to that terminal, i.e. until a person would see it.
Nothing in the product is switched for the benchmark: the process is read from the outside,
like tmux reads it, and killed afterwards. Each kiosk run gets an empty data directory, so the
figure includes creating and migrating the SQLite store (the first start of a counter's day
is never slower than this).

The baseline is a bare Textual app with one Static holding the same text
(``bench/_bare_app.py``), spawned and read the same way, alternating with the kiosk runs so
both see the same machine load. The difference is what the kiosk adds: its imports (pydantic
settings, sqlite-utils, the domain), loading kiosk.toml, opening the store, and composing the
welcome screen with its tiles and status bar.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

RUNS = 5
WIDTH, HEIGHT = 120, 36
MARKER = "请选择要办理的业务"
DEADLINE_S = 120.0
_ANSI = re.compile(
    r"\x1b(\[[0-9;?<>=!$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][A-Z0-9]|[=>78])"
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "TEXTUAL"))}
    env["TERM"] = "xterm-256color"
    return env


def time_to_text(argv: list[str], cwd: Path, marker: str = MARKER) -> float:
    """Seconds from spawning ``argv`` on a 120x36 pty until ``marker`` is drawn on it.

    Raises:
        RuntimeError: the process exited or the deadline passed before the marker appeared.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    seen = ""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=_env(),
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    try:
        while True:
            if time.perf_counter() - started > DEADLINE_S:
                raise RuntimeError(f"{argv[2:]}: marker not drawn within {DEADLINE_S} s")
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[2:]} exited ({proc.returncode}): {seen[-500:]}")
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                raise RuntimeError(f"{argv[2:]} closed its terminal: {seen[-500:]}") from None
            seen += _ANSI.sub("", decoder.decode(chunk))
            if marker in seen:
                return time.perf_counter() - started
            seen = seen[-4096:]
    finally:
        _stop(proc)
        os.close(master)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run() -> list[dict[str, object]]:
    """Median start-up of the kiosk and of the bare app over RUNS alternating runs each."""
    kiosk_s: list[float] = []
    bare_s: list[float] = []
    bare_app = str(Path(__file__).with_name("_bare_app.py"))
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        root = Path(tmp)
        for i in range(RUNS):
            data = root / f"data-{i}"
            kiosk_argv = [sys.executable, "-m", "kiosk", "--training", "--data-dir", str(data)]
            kiosk_s.append(time_to_text(kiosk_argv, cwd=root))
            bare_s.append(time_to_text([sys.executable, bare_app], cwd=root))
    kiosk_ms = statistics.median(kiosk_s) * 1000
    bare_ms = statistics.median(bare_s) * 1000
    return [
        {
            "name": "kiosk cold start to welcome screen drawn (pty 120x36)",
            "value": round(kiosk_ms, 1),
            "unit": "ms",
            "baseline_name": "bare Textual app, one Static, same pty",
            "baseline_value": round(bare_ms, 1),
            "note": (
                f"median of {RUNS} fresh processes each, alternating; kiosk runs "
                f"{min(kiosk_s) * 1000:.0f}-{max(kiosk_s) * 1000:.0f} ms, bare "
                f"{min(bare_s) * 1000:.0f}-{max(bare_s) * 1000:.0f} ms; spawn until the "
                "welcome heading is written to the terminal, empty data dir each run"
            ),
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
