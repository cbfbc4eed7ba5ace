"""Training mode's own back office: a hub process on loopback with its own files.

Training never talks to the real hub: :class:`LocalHub` runs ``kiosk hub serve`` on 127.0.0.1
with a SQLite file (and, where ``hub.ca`` is installed, a training CA) under the training data
folder, enrols this kiosk once and keeps the credential beside it (mode 0600), so practice
visits sync, issue and show online/offline exactly as the counter's will.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from hub import kiosks
from hub.db import HubDB
from kiosk.errors import SyncError

TRAINING_KIOSK = "training"


class LocalHub:
    """A hub process for training mode.

    Args:
        base: its folder (``<data_dir>/training/hub``).
    """

    def __init__(self, base: str | Path):
        self.base = Path(base)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def db_url(self) -> str:
        """The hub's database URL."""
        return f"sqlite:///{self.base / 'hub.db'}"

    def credential(self) -> str:
        """This kiosk's credential on the training hub (enrolled on first use)."""
        path = self.base / "credential"
        if path.exists():
            return path.read_text().strip()
        self.base.mkdir(parents=True, exist_ok=True)
        db = HubDB(self.db_url)
        try:
            cred = kiosks.enrol(db, TRAINING_KIOSK, rotate=True)
        finally:
            db.close()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(cred)
        return cred

    def start(self, timeout: float = 30.0, port: int | None = None) -> tuple[str, str]:
        """Start the hub and wait until it answers; returns (API URL, credential).

        ``port`` reuses a known port (training's "restore the network" keeps the URL the sync
        worker already has); a free one when None.

        Raises:
            SyncError: the hub did not start in time.
        """
        import httpx

        cred = self.credential()
        if port is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        args = [
            sys.executable,
            "-m",
            "kiosk",
            "hub",
            "serve",
            "--db",
            self.db_url,
            "--bind",
            f"127.0.0.1:{port}",
            "--payments",
            "sandbox",
        ]
        if importlib.util.find_spec("hub.ca") is not None:
            args += ["--ca-dir", str(self.base / "ca"), "--training-ca"]
            args += ["--kmc-dir", str(self.base / "kmc")]
        log = (self.base / "hub.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        log.close()
        self.url = f"http://127.0.0.1:{port}/api/v1"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise SyncError(
                    f"the training hub exited (see {self.base / 'hub.log'})",
                    code="sync.training_hub",
                )
            try:
                if httpx.get(self.url + "/health", timeout=0.5).status_code == 200:
                    return self.url, cred
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise SyncError("the training hub did not start in time", code="sync.training_hub")

    def stop(self) -> None:
        """Stop the hub process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
