"""The deploy files parse: systemd units through ``systemd-analyze verify`` (nothing is installed
or enabled on this machine: copies in a temporary unit path), the login script through bash -n."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
DROPIN = DEPLOY / "systemd" / "getty@tty1.service.d" / "autologin.conf"
INSTALLED_KIOSK = "/opt/netca-kiosk/.venv/bin/kiosk"
ANALYZE = shutil.which("systemd-analyze")
GETTY = Path("/lib/systemd/system/getty@.service")


def _ini(path: Path) -> configparser.ConfigParser:
    # strict=False: systemd allows repeated keys (Environment=, the ExecStart= reset).
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read_string(path.read_text(encoding="utf-8"))
    return cp


def test_there_are_units_for_the_worker_and_the_web_view() -> None:
    assert {u.name for u in UNITS} == {"netca-kiosk-sync.service", "netca-kiosk-web.service"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_structure(unit: Path) -> None:
    cp = _ini(unit)
    assert {"Unit", "Service", "Install"} <= set(cp.sections())
    svc = cp["Service"]
    assert svc["User"] == "kiosk"
    assert svc["ExecStart"].startswith(INSTALLED_KIOSK + " ")
    assert "KIOSK_DATA_DIR=/var/lib/netca-kiosk" in unit.read_text()
    assert "KIOSK_CONFIG=/etc/netca-kiosk/kiosk.toml" in unit.read_text()
    assert svc["StateDirectory"] == "netca-kiosk"
    if "serve-web" in svc["ExecStart"]:
        assert "--bind 127.0.0.1:" in svc["ExecStart"], "the web view stays on loopback"


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verify_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    # verify checks ExecStart is executable: point it at this checkout's kiosk script.
    kiosk = ROOT / ".venv" / "bin" / "kiosk"
    if not kiosk.exists():
        pytest.skip("no .venv/bin/kiosk (make venv)")
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED_KIOSK, str(kiosk)))
    out = subprocess.run(
        [ANALYZE, "verify", "--man=no", str(copy)], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "", out.stderr  # unknown keys are warnings only: none allowed


@pytest.mark.skipif(ANALYZE is None or not GETTY.exists(), reason="systemd getty unit missing")
def test_getty_autologin_dropin_verifies(tmp_path: Path) -> None:
    cp = _ini(DROPIN)
    assert "--autologin kiosk" in DROPIN.read_text()
    assert cp["Service"]["ExecStart"].startswith("-/sbin/agetty --autologin kiosk")
    units = tmp_path / "units"
    (units / "getty@tty1.service.d").mkdir(parents=True)
    shutil.copy(GETTY, units / GETTY.name)
    shutil.copy(DROPIN, units / "getty@tty1.service.d" / DROPIN.name)
    out = subprocess.run(
        [ANALYZE, "verify", "--man=no", "getty@tty1.service"],
        # the trailing colon keeps the built-in paths after ours (targets, sysinit)
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "", out.stderr


def test_login_script_is_valid_bash_and_starts_the_kiosk_only_on_tty1() -> None:
    script = DEPLOY / "kiosk-user" / "bash_profile"
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=10)
    text = script.read_text()
    assert '"$(tty)" = /dev/tty1' in text
    assert f"exec cage -s -- foot --config=/etc/netca-kiosk/foot.ini {INSTALLED_KIOSK}" in text
    foot = (DEPLOY / "kiosk-user" / "foot.ini").read_text()
    assert "font=Noto Sans Mono CJK SC" in foot


@pytest.mark.skipif(shutil.which("foot") is None, reason="foot not installed (apt install foot)")
def test_foot_accepts_its_config() -> None:
    out = subprocess.run(
        ["foot", f"--config={DEPLOY / 'kiosk-user' / 'foot.ini'}", "--check-config"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert out.returncode == 0, out.stderr
    if shutil.which("fc-match"):  # the CJK monospace face the config names is installed
        face = subprocess.run(
            ["fc-match", "Noto Sans Mono CJK SC"], capture_output=True, text=True, timeout=10
        ).stdout
        assert "Noto Sans Mono CJK" in face, face
