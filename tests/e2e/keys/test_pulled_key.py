"""A key pulled (or the kiosk killed) between any two issuance steps: resume or wipe, never a
half-written key handed over; the journal says exactly how far it got."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from cryptography import x509

from kiosk.errors import TokenError
from kiosk.keys import ISSUE_STEPS, IssueRequest, KeyState
from tests.keys_support import UNIT, KeyEnv, make_env, now, seal_request

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs_softhsm,
    # python-pkcs11's search iterator re-raises from its finaliser when the key left mid-search
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

ORDER = "DG-20261121-0042"
#: every pair of consecutive steps: the key is pulled after the first, before the second
PAIRS = list(itertools.pairwise(ISSUE_STEPS))


def _request() -> IssueRequest:
    t = now()
    return IssueRequest(ORDER, "org", UNIT, t, t + dt.timedelta(days=365 * 2), seal=seal_request())


def _pull_after(env: KeyEnv, step: str) -> dict[str, str]:
    pulled: dict[str, str] = {}

    def hook(order_no: str, done: str) -> None:
        if done == step and not pulled:
            job = env.service.repo.job(order_no, "new")
            assert job is not None and job.key_serial
            pulled["serial"] = job.key_serial
            env.pull(job.key_serial)

    env.service.after_step = hook
    with pytest.raises(TokenError) as ei:
        env.service.issue_new(_request(), actor="op-07")
    env.service.after_step = None
    assert ei.value.code == "token.removed", ei.value.message
    return pulled


def _journal(env: KeyEnv) -> list[tuple[str, str]]:
    job = env.service.repo.job(ORDER, "new")
    assert job is not None
    return [(s["step"], s["state"]) for s in env.service.repo.steps(job.id)]


@pytest.mark.parametrize(("after", "before"), PAIRS, ids=[f"{a}|{b}" for a, b in PAIRS])
def test_pulled_then_reinserted_resumes_and_finishes(env: KeyEnv, after: str, before: str) -> None:
    pulled = _pull_after(env, after)
    serial = pulled["serial"]
    job = env.service.repo.job(ORDER, "new")
    # the CA step needs no key, so a pull after "csr" shows at "write_cert"
    assert job.state == "running"
    assert job.last_step == (after if after != "csr" else "certify")
    assert env.service.repo.get(serial).state is KeyState.FORMATTED  # not handed over
    assert "failed" in dict(_journal(env)).values()

    env.insert(serial)
    rec = env.service.recover(actor="op-07")
    assert rec.action == "resumed" and rec.serial == serial and rec.result is not None
    result = rec.result
    assert result.resumed and len(result.user_pin) == 8
    # done once each (the user PIN may be set again: it is never stored, so a resume resets it)
    done = Counter(step for step, state in _journal(env) if state == "done")
    assert set(done) == set(ISSUE_STEPS)
    assert all(n == 1 for step, n in done.items() if step != "init_pin"), done
    on_key = env.service.read_key(serial)
    assert on_key["certificate"] == result.cert_der
    assert [o.kind for o in on_key["objects"]].count("public_key") == 1  # one key pair only
    with env.tokens.session(serial, user_pin=result.user_pin) as s:
        assert [o.kind for o in s.objects()].count("private_key") == 1
    assert env.service.repo.get(serial).state is KeyState.ACTIVE
    assert env.service.repo.job(ORDER, "new").state == "done"


@pytest.mark.parametrize(("after", "before"), PAIRS, ids=[f"{a}|{b}" for a, b in PAIRS])
def test_pulled_and_abandoned_key_is_wiped_on_reinsertion(
    env: KeyEnv, after: str, before: str
) -> None:
    serial = _pull_after(env, after)["serial"]
    env.service.abandon(ORDER, actor="op-07", reason="applicant left")
    env.insert(serial)
    rec = env.service.recover(actor="op-07")
    assert rec.action == "wiped" and rec.serial == serial
    assert env.service.read_key(serial)["objects"] == []
    assert env.tokens.key(serial).label == ""
    assert env.service.repo.get(serial).state is KeyState.BLANK
    # the wiped key serves the next new issue
    t = now()
    r = env.service.issue_new(
        IssueRequest(
            "DG-20261121-0043",
            "individual",
            UNIT.__class__(person_name="李四"),
            t,
            t + dt.timedelta(days=365),
        ),
        actor="op-07",
    )
    assert r.serial == serial


_CHILD = textwrap.dedent("""
    import datetime as dt, os, sys
    from pathlib import Path
    from tests.keys_support import UNIT, make_env, now, seal_request
    from kiosk.keys import IssueRequest, KeyRepository

    base, crash = Path(sys.argv[1]), sys.argv[2]
    env = make_env(base)
    if crash == "in-init_token":
        # die after C_InitToken, before the journal learns the key's serial
        real = KeyRepository.transition
        def dying(self, serial, target, **kw):
            if target.value == "formatted":
                os._exit(9)
            return real(self, serial, target, **kw)
        KeyRepository.transition = dying
    elif crash == "before-init_token-done":
        # die after the key is recorded as formatted, before the step is journalled done
        real_step = KeyRepository.record_step
        def dying_step(self, job_id, step, state, *a, **kw):
            if step == "init_token" and state == "done":
                os._exit(9)
            return real_step(self, job_id, step, state, *a, **kw)
        KeyRepository.record_step = dying_step
    else:
        env.service.after_step = lambda order, step: os._exit(9) if step == crash else None
    t = now()
    env.service.issue_new(IssueRequest("DG-20261121-0042", "org", UNIT, t,
                                       t + dt.timedelta(days=365), seal=seal_request()),
                          actor="op-07")
    sys.exit(0)
""")


@pytest.mark.parametrize("crash", ["in-init_token", "before-init_token-done", "write_cert"])
def test_kiosk_killed_mid_issue_resumes_in_a_new_process(tmp_path: Path, crash: str) -> None:
    base = tmp_path / "kiosk"
    repo_root = Path(__file__).resolve().parents[3]
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(base), crash],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 9, proc.stderr[-2000:]
    env = make_env(base)
    try:
        rec = env.service.recover(actor="op-07")
        assert rec.action == "resumed", rec
        assert rec.result is not None
        cert = x509.load_der_x509_certificate(env.service.read_key(rec.serial)["certificate"])
        assert cert.serial_number == rec.result.certificate.serial_number
        assert env.service.repo.get(rec.serial).state is KeyState.ACTIVE
    finally:
        env.close()


def test_insert_the_wrong_key_for_a_half_written_order(tmp_path: Path) -> None:
    env = make_env(tmp_path / "k")
    try:
        serial = _pull_after(env, "keygen")["serial"]
        env.sim.insert_blank()
        with pytest.raises(TokenError) as ei:
            env.service.issue_new(_request(), actor="op-07")
        assert ei.value.code == "token.wrong_key" and serial in ei.value.message
    finally:
        env.close()


def test_replacement_pulled_mid_way_finishes_on_recover_and_retires_the_old_key(
    env: KeyEnv,
) -> None:
    t = now()
    old = env.service.issue_new(
        IssueRequest(
            "DG-20261121-0001", "org", UNIT, t, t + dt.timedelta(days=365), seal=seal_request()
        ),
        actor="op-07",
    )
    env.sim.pull(old.serial)  # lost
    env.sim.insert_blank()
    pulled: list[str] = []

    def hook(order_no: str, step: str) -> None:
        if step == "write_cert" and not pulled:
            job = env.service.repo.job(order_no, "replace")
            pulled.append(job.key_serial)
            env.pull(job.key_serial)

    env.service.after_step = hook
    with pytest.raises(TokenError):
        env.service.replace(order_no="DG-20261121-0002", actor="op-07", old_serial=old.serial)
    env.service.after_step = None
    assert env.service.repo.get(old.serial).state is KeyState.ACTIVE  # nothing retired yet
    env.insert(pulled[0])
    rec = env.service.recover(actor="op-07")
    assert rec.action == "resumed" and rec.serial == pulled[0]
    assert env.service.repo.get(old.serial).state is KeyState.TERMINATED
    assert env.ca.status(old.certificate.serial_number).reason.value == "keyCompromise"
    assert rec.result.certificate.not_valid_after_utc == old.certificate.not_valid_after_utc
