"""The supervisor console's unit keeps it away from the counter's devices even if it tried."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "netca-kiosk-web.service"


def test_the_web_unit_serves_the_console_without_devices() -> None:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read_string(UNIT.read_text(encoding="utf-8"))
    svc = cp["Service"]
    assert " serve-web --bind 127.0.0.1:" in svc["ExecStart"]
    assert svc["PrivateDevices"] == "yes"
    assert "/run/pcscd" in svc["InaccessiblePaths"]
    assert (svc["IPAddressAllow"], svc["IPAddressDeny"]) == ("localhost", "any")
    assert "pcscd" not in cp["Unit"].get("After", "")
    # no hub credential: the console never talks to the hub
    assert "credential" not in UNIT.read_text(encoding="utf-8").lower().split("[service]")[1]
