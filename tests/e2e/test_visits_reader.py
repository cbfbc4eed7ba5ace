"""`kiosk visit run` as a process with `[agent] from_reader = true` against the real stand-in
reader (pcscd + vpcd + a virtual card), and `[key] blank` / `[key] serial` against the SoftHSM2
key stand-in: the card placed -> the visit done; no card -> a named error, exit 1, resumable;
an expired card refused; a non-blank key, a key of another visit, a key the stand-in does not
hold: each refused by name."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.sim.pcscd import PcscdProcess
from tests.flows_helpers import AGENT, ROOT, fresh_uscc
from tests.sample_dates import valid_now

pytestmark = [pytest.mark.e2e, pytest.mark.needs_pcscd]

_ref = iter(range(20_000, 99_999))


def visit_toml(service: str = "new", *, agent: dict[str, object], **kw: object) -> str:
    lines = [f'service = "{service}"', 'program = "dongguan-hpf"', 'kind = "org"']
    if service in ("new", "renew"):
        lines.append("years = 1")
    if kw.get("order"):
        lines.append(f'order = "{kw["order"]}"')
    lines.append("[agent]")
    lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in agent.items()]
    lines += [
        "[unit]",
        'name = "东莞读卡测试有限公司"',
        f'uscc = "{kw.get("uscc") or fresh_uscc()}"',
        'unit_type = "enterprise"',
        "[payment]",
        'method = "card"',
        f'reference = "T{next(_ref)}"',
    ]
    if kw.get("key"):
        lines.append("[key]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in dict(kw["key"]).items()]  # type: ignore[call-overload]
    return "\n".join(lines) + "\n"


CARD = {"from_reader": True, "mobile": "13800138000"}
GIVEN = dict(AGENT)  # typed in, valid to a date relative to today


@pytest.fixture(scope="module")
def data(tmp_path_factory, pcscd: PcscdProcess) -> Path:
    """One training data dir and its loopback hub for the module (as test_visits_cli)."""
    from kiosk.shell.training_hub import LocalHub

    d = tmp_path_factory.mktemp("reader")
    hub = LocalHub(d / "training" / "hub")
    url, _ = hub.start()
    assert hub.proc is not None
    (d / "training" / "hub" / "flows-hub.json").write_text(
        json.dumps({"pid": hub.proc.pid, "url": url})
    )
    yield d
    hub.stop()


@pytest.fixture(scope="module")
def people(tmp_path_factory) -> dict[str, str]:
    """Sample cards valid on the day the test runs (the shipped ones end on fixed dates; the
    `kiosk` processes validate them against the real date). The expired one stays as shipped."""
    d = tmp_path_factory.mktemp("people")
    out = {n: str(valid_now(d, n)) for n in ("zhang_wei", "jin_meishan")}
    return {**out, "huang_zhiqiang_expired": "huang_zhiqiang_expired"}


@pytest.fixture(scope="module")
def env(pcscd: PcscdProcess) -> dict[str, str]:
    e = {
        **os.environ,
        **pcscd.env,
        "KIOSK_VPCD_PORT": str(pcscd.port),
        "KIOSK_KEY_ALGORITHM": "ec-p256",
    }
    return e


def kiosk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_file(
    data: Path, env: dict[str, str], text: str, *extra: str, training: bool = True
) -> subprocess.CompletedProcess[str]:
    f = data / f"visit-{next(_ref)}.toml"
    f.write_text(text, encoding="utf-8")
    mode = ["--training"] if training else []
    return kiosk(env, "visit", "run", str(f), *mode, "--data-dir", str(data), "--json", *extra)


def resume(data: Path, env: dict[str, str], order: str) -> subprocess.CompletedProcess[str]:
    return kiosk(env, "visit", "resume", order, "--training", "--data-dir", str(data), "--json")


def visit_row(data: Path, order: str) -> sqlite3.Row:
    with sqlite3.connect(data / "training" / "kiosk.db") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM visits WHERE order_no = ?", [order]).fetchone()
    assert row is not None
    return row


def count(data: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(data / "training" / "kiosk.db") as db:
        return int(db.execute(sql, args).fetchone()[0])


def token_sim(data: Path, env: dict[str, str], *args: str) -> str:
    p = kiosk(env, "--training", "--data-dir", str(data), "token", "sim", *args)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture
def sim_card(data: Path, env: dict[str, str], people: dict[str, str]):
    """`kiosk sim card insert --person NAME` (the background card holder), stopped after."""

    def insert(person: str) -> None:
        path = people[person]
        p = kiosk(env, "--data-dir", str(data), "sim", "card", "insert", "--person", path)
        assert p.returncode == 0, p.stderr

    yield insert
    kiosk(env, "--data-dir", str(data), "sim", "card", "stop")


def new_visit_from_card(data: Path, env: dict[str, str], people: dict[str, str]) -> dict:
    agent = {**CARD, "sample": people["zhang_wei"]}
    p = run_file(data, env, visit_toml(agent=agent, key={"blank": True}))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def issued(data: Path, env: dict[str, str], people: dict[str, str]) -> dict:
    """One new visit whose agent came from the sample card (several tests work on its key)."""
    return new_visit_from_card(data, env, people)


def test_sample_card_placed_visit_done(
    data: Path, env: dict[str, str], issued: dict, pcsc_reader
) -> None:
    out = issued
    assert out["state"] == "done" and out["key"]["state"] == "active"
    row = visit_row(data, out["order"])
    # the agent is the card's holder (hardware/sim/people/zhang_wei.json), not anything typed
    assert row["agent_name"] == "张伟" and row["agent_id_number"] == "44190019880615231X"
    shown = json.loads(
        kiosk(
            env, "visit", "show", out["order"], "--training", "--data-dir", str(data), "--json"
        ).stdout
    )
    ident = next(r for r in shown["journal"] if r["step"] == "identify" and r["state"] == "done")
    assert ident["detail"]["source"] == "card"
    # the agent took the card back at the end of the read
    assert pcsc_reader.wait_for_removal(5)


def test_card_placed_from_outside(data: Path, env: dict[str, str], sim_card) -> None:
    sim_card("jin_meishan")
    p = run_file(data, env, visit_toml(agent=CARD))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["state"] == "done"
    assert visit_row(data, out["order"])["agent_name"] == "金美善"


def test_no_card_named_error_then_resume(data: Path, env: dict[str, str], sim_card) -> None:
    p = run_file(data, env, visit_toml(agent=CARD), "--card-timeout", "1")
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["state"] == "failed" and out["step"] == "identify"
    assert out["code"] == "idcard.no_card"
    assert "No ID card was placed on the stand-in reader within 1 s" in out["reason"]
    assert "place the agent's ID card on the stand-in reader" in p.stderr
    assert "Traceback" not in p.stderr
    assert visit_row(data, out["order"])["state"] == "failed"
    # the card comes: the same visit goes on from identify to the end
    sim_card("zhang_wei")
    r = resume(data, env, out["order"])
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["order"] == out["order"] and done["state"] == "done"
    assert visit_row(data, out["order"])["agent_name"] == "张伟"


def test_expired_card_refused(data: Path, env: dict[str, str]) -> None:
    p = run_file(data, env, visit_toml(agent={**CARD, "sample": "huang_zhiqiang_expired"}))
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert (out["step"], out["code"]) == ("identify", "idcard.expired")
    assert "expired on 2025-08-10" in out["reason"]
    assert out["payment"] is None
    assert visit_row(data, out["order"])["agent_name"] is None


def test_counter_reader_path_refuses_expired_card(
    data: Path, env: dict[str, str], sim_card
) -> None:
    """Without --training the configured reader ([devices.reader], PC/SC) is read."""
    sim_card("huang_zhiqiang_expired")
    p = run_file(data, env, visit_toml(agent=CARD), training=False)
    assert p.returncode == 1, p.stderr
    out = json.loads(p.stdout)
    assert (out["step"], out["code"]) == ("identify", "idcard.expired")
    assert "the pcsc reader" in p.stderr


def test_blank_true_refuses_an_issued_key_then_resumes(
    data: Path, env: dict[str, str], issued: dict
) -> None:
    first = issued
    serial = first["key"]["serial"]
    token_sim(data, env, "insert", serial)  # someone left an issued key in the reader
    p = run_file(data, env, visit_toml(agent=GIVEN, key={"blank": True}))
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert (out["step"], out["code"]) == ("keys", "visit.key_not_blank")
    assert serial in out["reason"]
    assert out["payment"] == {"state": "paid", "method": "card"}
    token_sim(data, env, "pull", serial)
    r = resume(data, env, out["order"])
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["state"] == "done" and done["key"]["serial"] != serial
    vid = visit_row(data, out["order"])["id"]
    assert count(data, "SELECT COUNT(*) FROM payments WHERE visit_id = ?", vid) == 1


def test_serial_of_another_key_refused_before_the_visit(
    data: Path, env: dict[str, str], issued: dict
) -> None:
    first = issued
    before = count(data, "SELECT COUNT(*) FROM visits")
    p = run_file(
        data,
        env,
        visit_toml("unlock", agent=GIVEN, order=first["order"], key={"serial": "00000000deadbeef"}),
    )
    assert p.returncode == 1
    assert "00000000deadbeef is not the key of " + first["order"] in p.stderr
    assert first["key"]["serial"] in p.stderr and "Traceback" not in p.stderr
    assert count(data, "SELECT COUNT(*) FROM visits") == before  # nothing opened, nothing paid


def test_serial_matching_the_earlier_key(data: Path, env: dict[str, str], issued: dict) -> None:
    first = issued
    serial = first["key"]["serial"]
    p = run_file(
        data, env, visit_toml("unlock", agent=GIVEN, order=first["order"], key={"serial": serial})
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["state"] == "done" and out["key"]["serial"] == serial


def test_serial_the_standin_does_not_hold(
    data: Path, env: dict[str, str], people: dict[str, str]
) -> None:
    from hardware.sim.softhsm import SoftHsm2

    first = new_visit_from_card(data, env, people)
    serial = first["key"]["serial"]
    SoftHsm2(data / "training" / "tokens").destroy(serial)  # the key was lost
    p = run_file(
        data, env, visit_toml("cancel", agent=GIVEN, order=first["order"], key={"serial": serial})
    )
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert (out["step"], out["code"]) == ("keys", "visit.key_not_in_standin")
    assert serial in out["reason"]


@pytest.mark.parametrize(
    ("service", "agent", "key", "words"),
    [
        ("new", {**CARD, "name": "张三"}, None, "reads name from the ID card"),
        ("new", {**GIVEN, "sample": "zhang_wei"}, None, "sample goes with from_reader"),
        ("new", {**CARD, "sample": "nobody_here"}, None, "No person file"),
        ("new", {**CARD, "from_reader": "yes"}, None, "from_reader must be true or false"),
        ("renew", GIVEN, {"blank": True}, "renew works on the earlier visit's key"),
        ("new", GIVEN, {"serial": "1234"}, "a blank key reports no serial"),
        ("new", GIVEN, {"blank": True, "serial": "1234"}, "not both"),
        ("new", GIVEN, {"blank": "yes"}, "blank must be true or false"),
    ],
)
def test_file_mistakes_are_usage_errors(
    data: Path,
    service: str,
    agent: dict,
    key: dict | None,
    words: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Refused while the file is read, before any stand-in starts: in this process."""
    from kiosk.shell.cli import main

    f = data / f"mistake-{next(_ref)}.toml"
    f.write_text(visit_toml(service, agent=agent, key=key, order="DG-20260101-0001"), "utf-8")
    capsys.readouterr()
    code = main(["visit", "run", str(f), "--training", "--data-dir", str(data), "--json"])
    _out, err = capsys.readouterr()
    assert code == 2, err
    assert words in err and "Traceback" not in err


def test_sample_refused_on_a_counter(data: Path, env: dict[str, str]) -> None:
    p = run_file(data, env, visit_toml(agent={**CARD, "sample": "zhang_wei"}), training=False)
    assert p.returncode == 2
    assert "sample" in p.stderr and "--training" in p.stderr
