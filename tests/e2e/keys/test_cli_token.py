"""`kiosk token list` / `kiosk token inspect` / `kiosk seal verify` as real processes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.keys import IssueRequest
from tests.keys_support import UNIT, make_env, now, seal_request

pytestmark = [pytest.mark.e2e, pytest.mark.needs_softhsm]


def kiosk(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--data-dir", str(data), "--training", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("cli") / "data"
    env = make_env(data / "training")
    try:
        t = now()
        r = env.service.issue_new(
            IssueRequest(
                "DG-20261121-0007",
                "org",
                UNIT,
                t,
                t + dt.timedelta(days=365 * 3),
                seal=seal_request(),
            ),
            actor="op-07",
        )
        ca_pem = env.ca.directory / "ca.cert.pem"
        rec = env.service.repo.get(r.serial)
        pins = (r.user_pin, env.service.vault.open(rec.so_pin_enc, r.serial))
    finally:
        env.close()
    issued_pins.extend(pins)
    return data, r, ca_pem


issued_pins: list[str] = []


def no_pins(out: subprocess.CompletedProcess[str]) -> None:
    for pin in issued_pins:
        assert pin not in out.stdout + out.stderr


def test_token_list_json_shows_the_issued_key(issued) -> None:
    data, r, _ = issued
    out = kiosk("token", "list", "--json", data=data)
    assert out.returncode == 0, out.stderr
    no_pins(out)
    rows = json.loads(out.stdout)
    row = next(x for x in rows if x["serial"] == r.serial)
    assert row["label"] == "DG-20261121-0007" and row["state"] == "active"
    assert row["user_pin"] == "ok"
    assert "NTRCN-91441900MA4UJ6R63X" in row["certificate"]["subject"]
    assert row["certificate"]["not_after"].startswith(
        r.certificate.not_valid_after_utc.strftime("%Y-%m-%d")
    )


def test_token_list_table(issued) -> None:
    data, r, _ = issued
    out = kiosk("token", "list", data=data)
    assert out.returncode == 0 and r.serial in out.stdout and "active" in out.stdout


def test_token_inspect_shows_objects_pem_and_seal(issued) -> None:
    data, r, _ = issued
    out = kiosk("token", "inspect", r.serial, "--json", data=data)
    assert out.returncode == 0, out.stderr
    no_pins(out)  # neither the user PIN nor the SO PIN is ever printed
    info = json.loads(out.stdout)
    assert {o["kind"] for o in info["objects"]} == {"certificate", "public_key", "data"}
    assert info["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert info["seal"]["ok"] and info["seal"]["name"] == "东莞市测试科技有限公司公章"
    assert info["counters"]["issuances"] == 1


def test_token_inspect_unknown_serial_exits_1_with_one_line(issued) -> None:
    data, _, _ = issued
    out = kiosk("token", "inspect", "0000000000000000", data=data)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "not in the reader" in out.stderr


def test_seal_verify_command(issued, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kiosk.shell.cli.sealverify import verify

    _, r, ca_pem = issued
    f = tmp_path / "seal.der"
    f.write_bytes(r.seal_der)
    res = CliRunner().invoke(verify, [str(f), "--ca", str(ca_pem)])
    assert res.exit_code == 0, res.output
    assert "ok   signature" in res.output and "ok   maker_issuer" in res.output
    bad = bytearray(r.seal_der)
    bad[-5] ^= 0xFF  # inside the signature
    f.write_bytes(bytes(bad))
    res = CliRunner().invoke(verify, [str(f)])
    assert res.exit_code != 0 and "FAIL signature" in res.output


def test_training_sim_commands_play_the_reader(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert kiosk("token", "sim", "pull-blank", data=data).returncode == 0
    out = kiosk("token", "list", "--json", data=data)
    assert out.returncode == 0 and json.loads(out.stdout) == []
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "--data-dir", str(data), "token", "sim", "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "--training" in out.stderr
