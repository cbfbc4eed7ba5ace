"""`kiosk visit run/resume/show` as real processes on the stand-ins: a handful of whole visits,
the failure exit, and kill -9 at every step boundary of a new-certificate visit followed by
`kiosk visit resume`: nothing doubled (payment, key, certificate, events) and nothing lost."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.sim.escpos_decode import decode
from kiosk.visits.engine import plan
from tests.flows_helpers import AGENT, IMPRINT, ROOT, fresh_uscc

pytestmark = pytest.mark.e2e

ENV = {**os.environ, "KIOSK_KEY_ALGORITHM": "ec-p256"}
_ref = iter(range(10_000, 99_999))


def toml_for(service: str, **kw: object) -> str:
    lines = [
        f'service = "{service}"',
        f'program = "{kw.get("program", "dongguan-hpf")}"',
        f'kind = "{kw.get("kind", "org")}"',
    ]
    if kw.get("years"):
        lines.append(f"years = {kw['years']}")
    if kw.get("seal"):
        lines.append("seal = true")
    if kw.get("order"):
        lines.append(f'order = "{kw["order"]}"')
    lines.append("[agent]")
    lines += [f'{k} = "{v}"' for k, v in AGENT.items()]
    lines += [
        "[unit]",
        'name = "东莞邮寄有限公司"',
        f'uscc = "{kw.get("uscc") or fresh_uscc()}"',
        'unit_type = "enterprise"',
    ]
    if kw.get("seal"):
        lines += [
            "[seal_image]",
            f'path = "{IMPRINT}"',
            'seal_type = "official"',
            "px_per_mm = 7.5",
        ]
    lines += ["[payment]", 'method = "card"', f'reference = "T{next(_ref)}"']
    if kw.get("pin"):
        lines += ["[key]", f'pin = "{kw["pin"]}"']
    return "\n".join(lines) + "\n"


def kiosk(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        cwd=ROOT,
        env=env or ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """One training data dir; its hub runs for the whole module (every `kiosk visit` process
    reuses it through hub/flows-hub.json, so a killed run leaves no orphan behind)."""
    from kiosk.shell.training_hub import LocalHub

    d = tmp_path_factory.mktemp("mailin")
    hub = LocalHub(d / "training" / "hub")
    url, _ = hub.start()
    assert hub.proc is not None
    (d / "training" / "hub" / "flows-hub.json").write_text(
        json.dumps({"pid": hub.proc.pid, "url": url})
    )
    yield d
    hub.stop()


def run_file(data: Path, text: str, *, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    f = data / f"visit-{next(_ref)}.toml"
    f.write_text(text, encoding="utf-8")
    return kiosk("visit", "run", str(f), "--training", "--data-dir", str(data), "--json", env=env)


def crash_run(
    data: Path,
    text: str,
    *,
    after_step: str | None = None,
    after_key_step: str | None = None,
    env: dict | None = None,
) -> subprocess.CompletedProcess[str]:
    """`kiosk visit run` of ``text`` in a child process (tests/e2e/visit_child.py) that kills
    itself with SIGKILL once the named visit step (or key job step) is journalled done."""
    f = data / f"visit-{next(_ref)}.toml"
    f.write_text(text, encoding="utf-8")
    hooks = [f"--after-step={after_step}"] if after_step else []
    hooks += [f"--after-key-step={after_key_step}"] if after_key_step else []
    args = ["visit", "run", str(f), "--training", "--data-dir", str(data), "--json"]
    return subprocess.run(
        [sys.executable, "-m", "tests.e2e.visit_child", *hooks, "--", *args],
        cwd=ROOT,
        env=env or ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


def pin_of(data: Path, order: str) -> str:
    for p in sorted((data / "training" / "printer").glob("job-*.bin")):
        lines = decode(p.read_bytes()).lines
        if any("PIN" in ln for ln in lines) and any(order in ln for ln in lines):
            i = next(i for i, ln in enumerate(lines) if ln.startswith("介质 Key"))
            return lines[i + 1].strip()
    raise AssertionError(f"no PIN slip for {order}")


def test_new_then_renew_as_processes(data: Path) -> None:
    uscc = fresh_uscc()
    p = run_file(data, toml_for("new", years=2, seal=True, uscc=uscc))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["state"] == "done" and out["total_fen"] == 80000
    assert out["payment"] == {"state": "paid", "method": "card"}
    assert out["key"]["state"] == "active"
    assert "NTRCN-" + uscc in out["certificate"]["subject"]
    assert "合计 Total" in out["receipt"]["text"] and "800.00" in out["receipt"]["text"]
    pin = pin_of(data, out["order"])
    p2 = run_file(data, toml_for("renew", years=1, order=out["order"], uscc=uscc, pin=pin))
    assert p2.returncode == 0, p2.stderr
    out2 = json.loads(p2.stdout)
    assert out2["key"]["serial"] == out["key"]["serial"]
    # the seal is renewed with its certificate, read from the key (the file says nothing of
    # it, and no imprint is asked): 200 yuan + the seal's 200 yuan for the year
    assert out2["total_fen"] == 40000 and "400.00" in out2["receipt"]["text"]
    assert out2["certificate"]["not_after"][:4] == str(int(out["certificate"]["not_after"][:4]) + 1)
    shown = kiosk("visit", "show", out2["order"], "--training", "--data-dir", str(data), "--json")
    journal = json.loads(shown.stdout)["journal"]
    assert [r["step"] for r in journal if r["state"] == "done"] == plan("renew", False)


def test_failed_step_exits_1_and_stays_resumable(data: Path) -> None:
    first = json.loads(run_file(data, toml_for("new", years=1)).stdout)
    p = run_file(data, toml_for("renew", years=1, order=first["order"]))  # no [key] pin
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["state"] == "failed" and out["step"] == "keys"
    assert "PIN" in out["reason"]
    r = kiosk(
        "visit",
        "resume",
        out["order"],
        "--training",
        "--data-dir",
        str(data),
        "--json",
        "--pin",
        pin_of(data, first["order"]),
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["state"] == "done"


def test_a_mail_in_transfer_is_confirmed_by_the_clerk_then_the_visit_resumes(data: Path) -> None:
    """邮寄办理 is paid by 对公转账: the key waits until counter staff confirm the money with
    `kiosk visit confirm-transfer` (number and PIN, audited), then `visit resume` writes it."""
    text = toml_for("new", years=1).replace(
        'method = "card"', 'method = "transfer"\npayer_name = "东莞邮寄有限公司"'
    )
    p = run_file(data, text)
    assert p.returncode == 1, p.stdout
    out = json.loads(p.stdout)
    order = out["order"]
    assert out["step"] == "keys" and out["code"] == "visit.not_paid", out
    assert out["payment"] == {"state": "pending", "method": "transfer"}
    dd = ["--training", "--data-dir", str(data)]
    env = {**ENV, "KIOSK_STAFF_PIN": "246813"}
    add = kiosk(*dd, "staff", "add", "C101", "--name", "陈柜员", "--role", "operator", env=env)
    assert add.returncode == 0, add.stderr

    # a wrong PIN is refused in words and changes nothing
    bad = kiosk(
        "visit",
        "confirm-transfer",
        order,
        "--staff",
        "C101",
        *dd,
        "--json",
        env={**ENV, "KIOSK_STAFF_PIN": "000000"},
    )
    assert bad.returncode == 1
    refused = json.loads(bad.stdout)
    assert refused["state"] == "refused" and refused["code"].startswith("staff."), refused
    shown = json.loads(kiosk("visit", "show", order, *dd, "--json").stdout)
    assert shown["payment"]["state"] == "pending"

    ok = kiosk("visit", "confirm-transfer", order, "--staff", "C101", *dd, "--json", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["payment"] == {"state": "paid", "method": "transfer"}
    # confirmed once: a second confirmation is refused, not doubled
    again = kiosk("visit", "confirm-transfer", order, "--staff", "C101", *dd, env=env)
    assert again.returncode == 1 and "no transfer waiting" in again.stderr

    r = kiosk("visit", "resume", order, *dd, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    done = json.loads(r.stdout)
    assert done["state"] == "done" and done["key"]["state"] == "active", done
    assert "20000" not in done["receipt"]["text"] and "200.00" in done["receipt"]["text"]
    audit = kiosk(*dd, "audit", "show", "--last", "20")
    assert "confirm_transfer" in audit.stdout and "C101" in audit.stdout, audit.stdout


def test_unknown_key_in_the_file_is_a_usage_error(data: Path) -> None:
    p = run_file(data, toml_for("new", years=1) + 'colour = "red"\n')
    assert p.returncode == 2
    assert "unknown key" in p.stderr and "colour" in p.stderr


def _count(db: Path, sql: str, *args: object) -> int:
    c = sqlite3.connect(db)
    try:
        return int(c.execute(sql, args).fetchone()[0])
    finally:
        c.close()


@pytest.mark.parametrize("step", plan("new", True))
def test_kill_9_at_each_step_boundary_then_resume(data: Path, step: str) -> None:
    uscc = fresh_uscc()
    p = crash_run(data, toml_for("new", years=1, seal=True, uscc=uscc), after_step=step)
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stderr)
    kdb = data / "training" / "kiosk.db"
    order = (
        sqlite3.connect(kdb)
        .execute("SELECT order_no FROM visits ORDER BY id DESC LIMIT 1")
        .fetchone()[0]
    )
    r = kiosk("visit", "resume", order, "--training", "--data-dir", str(data), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["state"] == "done"
    vid = _count(kdb, "SELECT id FROM visits WHERE order_no = ?", order)
    # nothing doubled
    assert _count(kdb, "SELECT COUNT(*) FROM payments WHERE visit_id = ?", vid) == 1
    assert _count(kdb, "SELECT COUNT(*) FROM keys WHERE label = ?", order) == 1
    assert (
        _count(kdb, "SELECT COUNT(*) FROM print_jobs WHERE visit_id = ? AND kind = 'receipt'", vid)
        == 1
    )
    assert _count(kdb, "SELECT COUNT(*) FROM pin_slips WHERE visit_id = ?", vid) == 1
    pin_of(data, order)  # the agent leaves with a PIN slip even when the PIN died with the crash
    for s in plan("new", True):
        assert (
            _count(
                kdb,
                "SELECT COUNT(*) FROM visit_steps v JOIN visits x ON x.id = v.visit_id "
                "WHERE x.order_no = ? AND step = ? AND v.state = 'done'",
                order,
                s,
            )
            == 1
        ), s
    hub = data / "training" / "hub" / "hub.db"
    signing = "SELECT COUNT(*) FROM certificates WHERE subject LIKE ? AND csr_digest != 'kmc'"
    assert _count(hub, signing, f"%{uscc}%") == 1
    # and its encryption certificate from the hub's KMC (key escrow, the shipped kiosk.toml)
    enc = "SELECT COUNT(*) FROM certificates WHERE subject LIKE ? AND csr_digest = 'kmc'"
    assert _count(hub, enc, f"%{uscc}%") == 1
    # nothing lost: every kiosk event of the visit is on the hub, once
    # (the payments area files its events under the visit's row id, the flow under its order)
    ids = (order, str(vid))
    for k in ("visit.opened", "visit.done", "payment.created", "payment.paid", "receipt.printed"):
        assert (
            _count(
                kdb, "SELECT COUNT(*) FROM outbox WHERE visit_id IN (?, ?) AND kind = ?", *ids, k
            )
            == 1
        ), k
    assert (
        _count(
            kdb, "SELECT COUNT(*) FROM outbox WHERE visit_id IN (?, ?) AND state != 'sent'", *ids
        )
        == 0
    )
    assert _count(hub, "SELECT COUNT(*) FROM events WHERE visit_id IN (?, ?)", *ids) == _count(
        kdb, "SELECT COUNT(*) FROM outbox WHERE visit_id IN (?, ?)", *ids
    )
