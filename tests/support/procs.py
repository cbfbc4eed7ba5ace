"""Real processes on loopback for the sync tests: the hub, kiosk sync workers, waiting helpers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float, what: str, step: float = 0.02):
    """Poll ``predicate`` until it is truthy; fail with ``what`` after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def kiosk_cli(area: str, *args: str) -> list[str]:
    """The command line of ``kiosk AREA ARGS`` (the real root command, config from defaults)."""
    return [sys.executable, "-m", "kiosk", area, *args]


def hub_healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/api/v1/health", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


class HubProcess:
    """``kiosk hub serve`` as a real process; ``kill()`` is SIGKILL, ``start()`` restarts it."""

    def __init__(self, db_path: Path, port: int | None = None):
        self.db_url = f"sqlite:///{db_path}"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def enrol(self, name: str) -> str:
        out = subprocess.run(
            kiosk_cli("hub", "enrol-kiosk", name, "--db", self.db_url),
            env=env(),
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def start(self) -> HubProcess:
        log_path = self.db_url[10:] if self.db_url.startswith("sqlite") else os.devnull
        with open(f"{log_path}.log" if log_path != os.devnull else log_path, "ab") as log:
            self.proc = subprocess.Popen(
                kiosk_cli("hub", "serve", "--db", self.db_url, "--bind", f"127.0.0.1:{self.port}"),
                env=env(),
                stdout=log,
                stderr=log,
            )
        wait_until(lambda: hub_healthy(self.url), 30, "the hub to answer /api/v1/health")
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()


class SyncProcess:
    """``kiosk sync run`` for one kiosk database, as a real process."""

    def __init__(self, db_path: Path, hub_url: str, credential: str, *extra: str):
        self.args = kiosk_cli(
            "sync",
            "run",
            "--db",
            str(db_path),
            "--hub-url",
            hub_url,
            "--interval",
            "0.05",
            "--backoff-base",
            "0.05",
            "--backoff-cap",
            "0.5",
            "--timeout",
            "2",
            "--batch-size",
            "500",
            *extra,
        )
        self.env = env() | {"KIOSK_HUB_CREDENTIAL": credential}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SyncProcess:
        self.proc = subprocess.Popen(
            self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def threaded_hub(app, port: int | None = None):
    """Serve an ASGI app with uvicorn in a thread on loopback; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: server.started, 10, "uvicorn to start")
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
