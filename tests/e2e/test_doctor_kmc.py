"""``kiosk doctor`` asks the hub's key management centre (KMC) when ``[flows] key_escrow =
"hub"``: a hub with its KMC passes, a hub without one fails in words with what to do, and a
counter without escrow has no such check. Real processes: the training hub (with its KMC) and
a bare hub on loopback; the devices are left absent (their checks are tests/e2e/test_doctor.py's).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_doctor import doctor, write_config
from tests.support.procs import HubProcess, free_port

pytestmark = pytest.mark.e2e


def config(tmp_path: Path, name: str, hub: str, credential: str, escrow: str) -> Path:
    path = write_config(
        tmp_path / name,
        reader='backend = "pcsc"',
        module=str(tmp_path / "no-such-pkcs11.so"),
        camera=str(tmp_path / "no-camera.avi"),
        printer=f"tcp://127.0.0.1:{free_port()}",
        hub=hub,
        credential=credential,
    )
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f'\n[flows]\nkey_escrow = "{escrow}"\n')
    return path


def checks_of(tmp_path: Path, cfg: Path) -> dict:
    no_pcscd = {"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    _code, checks, took, err = doctor(cfg, tmp_path / "nodata", extra_env=no_pcscd)
    assert "Traceback" not in err
    assert took < 30
    return checks


def test_a_hub_with_its_kmc_passes_the_kmc_check(tmp_path: Path) -> None:
    from kiosk.shell.training_hub import LocalHub

    hub = LocalHub(tmp_path / "hub")
    url, credential = hub.start()
    try:
        checks = checks_of(tmp_path, config(tmp_path, "k.toml", url, credential, "hub"))
        kmc = checks["kmc"]
        assert kmc["status"] == "ok", kmc
        assert "KMC answers" in kmc["message"]
        assert kmc["details"]["master_key"] in ("unused", "opens")
        assert kmc["details"]["wrap"] == "rsa-oaep-sha1/aes-kwp"
        # a wrong credential: the KMC check says so in words too
        bad = config(tmp_path, "bad.toml", url, credential.split(":")[0] + ":wrong", "hub")
        kmc = checks_of(tmp_path, bad)["kmc"]
        assert kmc["status"] == "fail" and "401" in kmc["message"] and "enrol" in kmc["next"]
    finally:
        hub.stop()


def test_a_hub_without_a_kmc_fails_the_check_in_words(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path / "hub.db").start()
    try:
        credential = hub.enrol("doctor-kmc")
        checks = checks_of(tmp_path, config(tmp_path, "k.toml", hub.url, credential, "hub"))
    finally:
        hub.stop()
    assert checks["hub"]["status"] == "ok", checks["hub"]
    kmc = checks["kmc"]
    assert kmc["status"] == "fail"
    assert "has no key management centre (KMC)" in kmc["message"]
    assert "key recovery" in kmc["message"]
    assert "--kmc-dir" in kmc["next"] and 'key_escrow = "none"' in kmc["next"]


def test_without_escrow_there_is_no_kmc_check(tmp_path: Path) -> None:
    hub = f"http://127.0.0.1:{free_port()}/api/v1"
    checks = checks_of(tmp_path, config(tmp_path, "k.toml", hub, "x:y", "none"))
    assert "kmc" not in checks and "hub" in checks
    # escrow on and the hub down: the KMC check fails and points at the network
    kmc = checks_of(tmp_path, config(tmp_path, "k2.toml", hub, "x:y", "hub"))["kmc"]
    assert kmc["status"] == "fail" and "does not answer" in kmc["message"]
