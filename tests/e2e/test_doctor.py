"""``kiosk doctor`` as a real process, against the real stand-ins and against nothing at all.

Stand-ins: pcscd + vpcd (the session fixture), a simulated SAM on a pty, SoftHSM2, the TCP
printer stand-in, the hub on loopback, a video file as the camera.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from data.store import Store
from hardware.sim.printer import PrinterSim
from hardware.sim.softhsm import SoftHsm2
from kiosk.config import default_config_text
from tests.idcard_fixtures import READER
from tests.support.procs import ROOT, HubProcess, env, free_port

KIOSK = (sys.executable, "-m", "kiosk")
DEVICE_CHECKS = ("reader", "token", "camera", "printer", "hub")


def write_config(
    path: Path,
    *,
    reader: str,
    module: str,
    camera: str,
    printer: str,
    hub: str,
    credential: str = "",
    hub_timeout: float = 2.0,
) -> Path:
    """The shipped kiosk.toml with this test's devices and hub in place of its own."""
    head = default_config_text().split("[devices.reader]")[0]
    path.write_text(
        head
        + f"""
[devices.reader]
{reader}

[devices.token]
module_path = "{module}"

[devices.camera]
source = "{camera}"
width = 320
height = 240

[devices.printer]
uri = "{printer}"

[hub]
url = "{hub}"
credential = "{credential}"
timeout_s = {hub_timeout}
""",
        encoding="utf-8",
    )
    return path


def doctor(config: Path, data: Path, *extra: str, extra_env: dict[str, str] | None = None):
    """Run ``kiosk doctor --json``; returns (exit code, {check: result}, seconds, stderr)."""
    t0 = time.monotonic()
    out = subprocess.run(
        [*KIOSK, "--config", str(config), "--data-dir", str(data), "doctor", "--json", *extra],
        env={**env(), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    took = time.monotonic() - t0
    doc = json.loads(out.stdout)
    return out.returncode, {c["check"]: c for c in doc["checks"]}, took, out.stderr


def sample_video(path: Path, w: int = 320, h: int = 240) -> Path:
    """A short MJPG file: the camera stand-in (cv2.VideoCapture reads it like a device)."""
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    for i in range(5):
        vw.write(np.full((h, w, 3), 40 * i, np.uint8))
    vw.release()
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    Store.open(d / "kiosk.db").close()  # migrated, as the kiosk leaves it
    return d


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    h = HubProcess(tmp_path_factory.mktemp("hub") / "hub.db").start()
    try:
        yield h
    finally:
        h.stop()


def test_all_ok_against_the_stand_ins(pcscd, hub, tmp_path: Path, data: Path) -> None:
    hsm = SoftHsm2(tmp_path / "hsm").prepare()
    with PrinterSim(tmp_path / "printer") as printer:
        cfg = write_config(
            tmp_path / "kiosk.toml",
            reader=f'backend = "pcsc"\nreader_pattern = "^{READER}$"',
            module=hsm.module_path,
            camera=str(sample_video(tmp_path / "cam.avi")),
            printer=printer.uri,
            hub=hub.url,
            credential=hub.enrol("doctor-1"),
        )
        code, checks, took, err = doctor(cfg, data, extra_env=hsm.env())
        statuses = {k: v["status"] for k, v in checks.items()}
        calendar = statuses.pop("calendar")
        assert statuses == dict.fromkeys(("config", *DEVICE_CHECKS, "storage"), "ok"), checks
        # the calendar's verdict follows today's date (tests/unit/test_doctor_calendar.py pins
        # it): the process says what the check says in-process for the same kiosk.toml
        from kiosk.config import load_settings
        from kiosk.shell.doctor import check_calendar

        assert calendar == check_calendar(load_settings(cfg)).level.value
        assert code == 0, err
        assert took < 15
        assert checks["reader"]["details"]["reader"] == READER
        assert (checks["camera"]["details"]["width"], checks["camera"]["details"]["height"]) == (
            320,
            240,
        )
        assert checks["token"]["details"]["slots"] >= 1
        assert abs(checks["hub"]["details"]["clock_skew_s"]) < 5
        assert checks["storage"]["details"]["pending"] == []
        assert printer.status_queries >= 1  # it really asked the printer

        # Now break two things the way a counter breaks them.
        printer.set_state("paper-out")
        bad = write_config(
            tmp_path / "bad.toml",
            reader=f'backend = "pcsc"\nreader_pattern = "^{READER}$"',
            module=hsm.module_path,
            camera=str(tmp_path / "cam.avi"),
            printer=printer.uri,
            hub=hub.url,
            credential="doctor-1:not-the-secret",
        )
        code, checks, _, _ = doctor(bad, data, extra_env=hsm.env())
    assert code == 1
    assert checks["printer"]["status"] == "fail"
    assert "paper" in checks["printer"]["message"]
    assert "paper roll" in checks["printer"]["next"]
    assert checks["hub"]["status"] == "fail"
    assert "401" in checks["hub"]["message"]
    assert "enrol" in checks["hub"]["next"]
    assert checks["reader"]["status"] == "ok"


def test_sam_reader_gives_its_module_id(sim_sam, tmp_path: Path, data: Path) -> None:
    cfg = write_config(
        tmp_path / "kiosk.toml",
        reader=f'backend = "sam"\nserial_device = "{sim_sam.path}"',
        module="/nonexistent/module.so",
        camera="9",
        printer=f"tcp://127.0.0.1:{free_port()}",
        hub=f"http://127.0.0.1:{free_port()}/api/v1",
    )
    code, checks, _, _ = doctor(cfg, data)
    assert checks["reader"]["status"] == "ok", checks["reader"]
    assert "module" in checks["reader"]["message"]
    assert checks["reader"]["details"]["sam_id"].count("-") == 3
    assert code == 1  # the rest is missing


def test_nothing_running_every_device_fails_in_words_and_fast(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path / "kiosk.toml",
        reader='backend = "pcsc"',
        module=str(tmp_path / "no-such-pkcs11.so"),
        camera=str(tmp_path / "no-camera.avi"),
        printer=f"tcp://127.0.0.1:{free_port()}",
        hub=f"http://127.0.0.1:{free_port()}/api/v1",
    )
    no_pcscd = {"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    code, checks, took, err = doctor(cfg, tmp_path / "nodata", extra_env=no_pcscd)
    assert code == 1
    assert took < 15, f"doctor took {took:.1f} s with nothing running"
    assert "Traceback" not in err
    for name in DEVICE_CHECKS:
        assert checks[name]["status"] == "fail", checks[name]
        assert checks[name]["next"], f"{name} says what to do"
    assert "pcscd" in checks["reader"]["message"]
    assert "pcscd" in checks["reader"]["next"]
    assert "does not exist" in checks["token"]["message"]
    assert "no picture" in checks["camera"]["message"]
    assert "unreachable" in checks["printer"]["message"]
    assert "does not answer" in checks["hub"]["message"]
    assert "cannot be reached" in checks["hub"]["message"]
    assert checks["storage"]["status"] == "fail"
    assert "does not exist" in checks["storage"]["message"]
    assert checks["config"]["status"] == "ok"


def test_a_hanging_hub_costs_its_timeout_not_the_doctor(tmp_path: Path, data: Path) -> None:
    # A listener that never accepts: connect succeeds (backlog), no answer ever comes.
    with socket.socket() as black_hole:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(8)
        port = black_hole.getsockname()[1]
        cfg = write_config(
            tmp_path / "kiosk.toml",
            reader='backend = "pcsc"',
            module="/nonexistent.so",
            camera="9",
            printer=f"tcp://127.0.0.1:{free_port()}",
            hub=f"http://127.0.0.1:{port}/api/v1",
            hub_timeout=30,
        )
        code, checks, took, _ = doctor(cfg, data, "--timeout", "1.5")
    assert code == 1
    assert checks["hub"]["status"] == "fail"
    assert "no answer within 1.5 s" in checks["hub"]["message"]
    assert took < 8, f"doctor took {took:.1f} s with a 1.5 s deadline"


def test_text_report_and_bad_config(tmp_path: Path) -> None:
    bad = tmp_path / "kiosk.toml"
    bad.write_text(default_config_text().replace('backend = "pcsc"', 'backend = "magic"'))
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(bad), "doctor"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert out.returncode == 1
    assert "FAIL     config" in out.stdout
    assert "devices.reader.backend" in out.stdout
    assert "next: fix kiosk.toml" in out.stdout
    assert "Traceback" not in out.stderr
