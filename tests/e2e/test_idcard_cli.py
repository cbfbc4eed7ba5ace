"""``kiosk idcard read`` and ``kiosk sim card …`` as a person runs them: real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hardware.idcard import validation
from hardware.sim.pcscd import PcscdProcess
from hardware.sim.person import load_card
from hardware.sim.sam import SimulatedSam
from hardware.sim.vicc import CardBehaviour, VirtualCard
from tests.sample_dates import TODAY, valid_now

pytestmark = [pytest.mark.e2e, pytest.mark.needs_pcscd]
KIOSK = [sys.executable, "-m", "kiosk"]
READER = "Virtual PCD 00 00"


def kiosk(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KIOSK, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_in_process(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The same ``main`` the console script runs, in this process (saves a Python start-up)."""
    from kiosk.shell.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def in_process(pcscd: PcscdProcess, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KIOSK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KIOSK_VPCD_PORT", str(pcscd.port))
    # cards are validated on a fixed date here, not on the day the suite runs (the sample
    # permit ends 2028-07-10): the reader's clock is validation.today_in_shanghai
    monkeypatch.setattr(validation, "today_in_shanghai", lambda now=None: TODAY)
    return data_dir


@pytest.fixture
def env(pcscd: PcscdProcess, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        **pcscd.env,
        "KIOSK_VPCD_PORT": str(pcscd.port),
        "KIOSK_DATA_DIR": str(data_dir),
    }


@pytest.fixture
def stop_sim(env: dict[str, str]):
    yield
    kiosk("sim", "card", "stop", env=env)


@pytest.fixture
def stop_sim_in_process(in_process: Path):
    yield
    from hardware.sim import daemon

    daemon.request(in_process / "run", {"op": "stop"})


def test_sim_card_insert_read_remove(
    env: dict[str, str], stop_sim, pcsc_reader, tmp_path: Path
) -> None:
    # `kiosk idcard read` validates on today's date: a copy of the card valid today
    person = valid_now(tmp_path, "zhang_wei")
    r = kiosk("sim", "card", "insert", "--person", str(person), env=env)
    assert r.returncode == 0, r.stderr
    assert "inserted:" in r.stdout and "zhang_wei.json" in r.stdout

    r = kiosk("idcard", "read", "--device", READER, "--timeout", "5", "--json", env=env)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert list(data) == [
        "name", "sex", "nation", "birth_date", "address", "id_number", "authority",
        "valid_from", "valid_to", "card_type", "photo_bytes",
    ]  # fmt: skip
    assert data["name"] == "张伟" and data["id_number"] == "441900********231X"
    assert data["birth_date"] == "1988-06-15" and data["photo_bytes"] == 1024

    r = kiosk("sim", "card", "remove", env=env)
    assert r.returncode == 0 and "no card inserted" in r.stdout
    assert pcsc_reader.wait_for_removal(5)


def test_full_text_output_and_no_card(in_process, stop_sim_in_process, capsys, pcsc_reader) -> None:
    code, out, err = run_in_process("sim", "card", "insert", "--person", "zhang_wei", capsys=capsys)
    assert code == 0, err
    code, out, err = run_in_process(
        "idcard", "read", "--device", READER, "--timeout", "5", "--full", capsys=capsys
    )
    assert code == 0, err
    assert "ID number:   44190019880615231X" in out and "Name:        张伟" in out
    run_in_process("sim", "card", "remove", capsys=capsys)
    assert pcsc_reader.wait_for_removal(5)
    code, out, err = run_in_process(
        "idcard", "read", "--device", READER, "--timeout", "0.5", capsys=capsys
    )
    assert code == 1
    assert err.strip() == (
        "error: No ID card was placed on the reader in time. Place the card on the reader again."
    )


def test_expired_card_exits_1_with_the_reason(in_process, stop_sim_in_process, capsys) -> None:
    code, _o, err = run_in_process(
        "sim", "card", "insert", "--person", "huang_zhiqiang_expired", capsys=capsys
    )
    assert code == 0, err
    code, out, err = run_in_process(
        "idcard", "read", "--device", READER, "--timeout", "5", capsys=capsys
    )
    assert code == 1 and out == ""
    assert "expired on 2025-08-10" in err and "Traceback" not in err


def test_sam_on_a_pty_through_the_daemon(in_process: Path, stop_sim_in_process, capsys) -> None:
    code, _o, err = run_in_process(
        "sim",
        "card",
        "insert",
        "--person",
        "liang_jiahao_hk_permit",
        "--reader",
        "sam",
        capsys=capsys,
    )
    assert code == 0, err
    pty = (in_process / "run" / "idcard-sim.pty").read_text().strip()
    code, out, err = run_in_process(
        "idcard",
        "read",
        "--transport",
        "sam",
        "--device",
        pty,
        "--json",
        "--timeout",
        "3",
        capsys=capsys,
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["card_type"] == "hmt_permit" and data["pass_number"] == "H******56"
    assert data["valid_to"] == "2028-07-10"


def test_sam_pty_directly(in_process, capsys) -> None:
    with SimulatedSam() as sam:
        sam.place(load_card("chen_guiying_long_term"))
        code, out, err = run_in_process(
            "idcard", "read", "--transport", "sam", "--device", sam.path, "--json", capsys=capsys
        )
    assert code == 0, err
    assert json.loads(out)["valid_to"] == "long-term"


def test_pcscd_not_running(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "PCSCLITE_CSOCK_NAME": str(tmp_path / "none.comm")}
    r = kiosk("idcard", "read", "--timeout", "1", env=env)
    assert r.returncode == 1
    assert "pcscd" in r.stderr and "not running" in r.stderr and "Traceback" not in r.stderr


def test_unknown_person_is_a_usage_error(in_process, capsys) -> None:
    code, _o, err = run_in_process("sim", "card", "insert", "--person", "nobody", capsys=capsys)
    assert code == 2
    assert "zhang_wei" in err


def test_bad_transport_is_a_usage_error(in_process, capsys) -> None:
    code, _o, err = run_in_process("idcard", "read", "--transport", "usb", capsys=capsys)
    assert code == 2 and "'pcsc'" in err and "'sam'" in err


def test_reader_unplugged_mid_read(tmp_path: Path, data_dir: Path, pcscd: PcscdProcess) -> None:
    """pcscd (the reader's whole stack) dies while the CLI is half-way through the APDUs."""
    if not pcscd.isolate:
        pytest.skip("a second pcscd needs a private mount namespace (root with CAP_SYS_ADMIN)")
    own = PcscdProcess(tmp_path / "pcscd2").start()
    env = {**os.environ, **own.env, "KIOSK_DATA_DIR": str(data_dir)}

    def pull_the_plug(n: int) -> None:
        if n == 4 and own.proc is not None:
            os.killpg(own.proc.pid, signal.SIGKILL)

    card = VirtualCard(
        load_card("zhang_wei"), port=own.port, behaviour=CardBehaviour(on_apdu=pull_the_plug)
    )
    try:
        card.insert()
        started = time.monotonic()
        r = kiosk("idcard", "read", "--timeout", "10", env=env)
        elapsed = time.monotonic() - started
    finally:
        card.remove()
        own.stop()
    assert r.returncode == 1, r.stdout
    assert "Traceback" not in r.stderr
    assert ("went away" in r.stderr) or ("not running" in r.stderr), r.stderr
    assert elapsed < 8  # answered at once, not after the whole timeout


def test_training_pcscd_on_the_standard_socket(pcscd: PcscdProcess, data_dir: Path) -> None:
    """`kiosk sim pcscd start`, a card, a plain `kiosk idcard read`, `kiosk sim pcscd stop`."""
    if not pcscd.isolate or Path("/run/pcscd/pcscd.comm").exists():
        pytest.skip("needs the standard pcscd socket free (the session pcscd isolated)")
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    env["KIOSK_DATA_DIR"] = str(data_dir)
    try:
        r = kiosk("sim", "pcscd", "start", env=env)
        assert r.returncode == 0, r.stderr
        assert "Virtual PCD 00 00" in r.stdout and "port 35963" in r.stdout
        person = str(valid_now(data_dir / "people", "jin_meishan"))  # the shipped card ends 2027
        assert kiosk("sim", "card", "insert", "--person", person, env=env).returncode == 0
        r = kiosk("idcard", "read", "--json", "--timeout", "5", env=env)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["nation"] == "朝鲜"
    finally:
        kiosk("sim", "card", "stop", env=env)
        r = kiosk("sim", "pcscd", "stop", env=env)
    assert r.returncode == 0 and "stopped pcscd" in r.stdout
    assert not Path("/run/pcscd/pcscd.comm").exists()


def test_insert_without_vpcd_says_why(in_process, stop_sim_in_process, capsys, monkeypatch) -> None:
    from hardware.sim.pcscd import free_port_pair

    monkeypatch.setenv("KIOSK_VPCD_PORT", str(free_port_pair()))  # nothing listens there
    code, _out, err = run_in_process(
        "sim", "card", "insert", "--person", "zhang_wei", capsys=capsys
    )
    assert code == 1
    assert "Cannot reach vpcd" in err and "is pcscd running" in err


def test_too_long_data_dir_is_refused_in_words(tmp_path: Path, capsys, monkeypatch) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    monkeypatch.setenv("KIOSK_DATA_DIR", str(deep))
    code, _out, err = run_in_process(
        "sim", "card", "insert", "--person", "zhang_wei", capsys=capsys
    )
    assert code == 1 and "too long for a Unix socket" in err
