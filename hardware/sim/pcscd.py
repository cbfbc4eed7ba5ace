"""Start and stop a private ``pcscd --foreground`` with the vpcd driver, for tests and training.

pcscd keeps its socket and pid file at fixed paths (``/run/pcscd``) and refuses to start when
another pcscd runs. To leave the host's own pcscd (and other test sessions) alone, the daemon runs
in a private mount namespace where a directory of ours is bind-mounted over ``/run/pcscd``; its
reader.conf (``-c``) gives vpcd a port of ours. Clients find it through ``PCSCLITE_CSOCK_NAME``
(honoured by libpcsclite), see :attr:`PcscdProcess.env`. Without namespaces (not root), it falls
back to the standard paths and port 35963.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from hardware.sim.vicc import VPCD_PORT, SimError

READY_LINE = "daemon ready"


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A TCP port ``p`` with ``p`` and ``p + 1`` free (vpcd opens two readers)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < 65535 and _port_free(port) and _port_free(port + 1):
            return port
    raise SimError("No free pair of TCP ports for vpcd.", code="sim.no_port")


def can_isolate() -> bool:
    """Whether a private mount namespace is available (root with CAP_SYS_ADMIN)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10, check=False)
    return r.returncode == 0


class PcscdProcess:
    """A pcscd child process with the vpcd driver.

    Args:
        workdir: where the socket, reader.conf and log live (a temp dir when None).
        port: vpcd's first port (two readers: ``port`` and ``port + 1``); free ones when None.
        isolate: run in a private mount namespace (default: when possible).
        pcscd: the daemon's path.
    """

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        port: int | None = None,
        isolate: bool | None = None,
        pcscd: str = "pcscd",
    ):
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="pcscd-"))
        self.isolate = can_isolate() if isolate is None else isolate
        self.port = port if port is not None else (free_port_pair() if self.isolate else VPCD_PORT)
        self.pcscd = pcscd
        self.proc: subprocess.Popen[bytes] | None = None
        self.run_dir = self.workdir / "run"
        self.conf_dir = self.workdir / "reader.conf.d"
        self.log_path = self.workdir / "pcscd.log"

    @property
    def socket_path(self) -> Path:
        """pcscd's client socket."""
        return (self.run_dir if self.isolate else Path("/run/pcscd")) / "pcscd.comm"

    @property
    def env(self) -> dict[str, str]:
        """Environment a PC/SC client needs to reach this daemon."""
        return {"PCSCLITE_CSOCK_NAME": str(self.socket_path)}

    @property
    def reader_names(self) -> list[str]:
        """The two virtual readers' names, as pcscd lists them."""
        return ["Virtual PCD 00 00", "Virtual PCD 00 01"]

    def start(self, timeout: float = 10.0) -> PcscdProcess:
        """Start pcscd and wait until it says it is ready and vpcd listens.

        Raises:
            SimError: pcscd or the vpcd driver is missing, or it did not become ready in time.
        """
        exe = shutil.which(self.pcscd)
        if exe is None:
            raise SimError(
                "pcscd is not installed (apt-get install pcscd vsmartcard-vpcd).",
                code="sim.no_pcscd",
            )
        driver = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
        if not driver.exists():
            raise SimError(
                "The vpcd driver is not installed (apt-get install vsmartcard-vpcd).",
                code="sim.no_vpcd",
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        (self.conf_dir / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.port:04X}\n"
            f"LIBPATH      {driver}\n"
            f"CHANNELID    0x{self.port:04X}\n"
        )
        cmd = [exe, "--foreground", "--info", "-c", str(self.conf_dir)]
        if self.isolate:
            script = 'mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd && shift && exec "$@"'
            cmd = [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
                str(self.run_dir),
                *cmd,
            ]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SimError(
                    f"pcscd exited with status {self.proc.returncode}: {self.log_tail()}",
                    code="sim.pcscd_failed",
                )
            if READY_LINE in self.log_text() and self._listening():
                return self
            time.sleep(0.01)
        self.stop()
        raise SimError(
            f"pcscd did not become ready in {timeout} s: {self.log_tail()}", code="sim.pcscd_failed"
        )

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.close()
        except OSError:
            return False
        return True

    def log_text(self) -> str:
        """What pcscd logged so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the log, on one line."""
        return " | ".join(self.log_text().strip().splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        """Stop pcscd (SIGTERM, then SIGKILL) and remove our files."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout)
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def running(self) -> bool:
        """True while the daemon process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self) -> PcscdProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
