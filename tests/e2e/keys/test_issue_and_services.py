"""Issuing on a blank SoftHSM2 key and every service on the holder's key, end to end."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from cryptography import x509

from hardware.token import KeyAlgorithm
from hub.ca import RevocationReason
from kiosk.contracts.sealobj import parse_seal, verify_seal
from kiosk.contracts.subject import SubjectData
from kiosk.domain.clock import SYSTEM_CLOCK, ShiftedClock
from kiosk.errors import KioskError, TokenError
from kiosk.keys import ISSUE_STEPS, IssueRequest, KeyServiceError, KeyState
from tests.keys_support import UNIT, KeyEnv, make_env, now, seal_request

pytestmark = [pytest.mark.e2e, pytest.mark.needs_softhsm]


def issue(
    env: KeyEnv,
    order: str = "DG-20261121-0001",
    *,
    years: int = 3,
    seal: bool = True,
    subject: SubjectData = UNIT,
    kind: str = "org",
):
    t = now()
    return env.service.issue_new(
        IssueRequest(
            order,
            kind,
            subject,
            t,
            t + dt.timedelta(days=365 * years),
            seal=seal_request() if seal else None,
        ),
        actor="op-07",
    )


def test_new_issue_writes_a_verified_certificate_and_seal_on_the_key(env: KeyEnv) -> None:
    r = issue(env)
    assert len(r.user_pin) == 8 and r.user_pin.isdigit()
    key = env.tokens.key(r.serial)
    assert key.label == "DG-20261121-0001" and key.user_pin_initialised
    on_key = env.service.read_key(r.serial)
    kinds = sorted(o.kind for o in on_key["objects"])
    assert kinds == ["certificate", "data", "public_key"]  # the private key is not readable
    assert on_key["certificate"] == r.cert_der
    cert = x509.load_der_x509_certificate(r.cert_der)
    assert "NTRCN-91441900MA4UJ6R63X" in cert.subject.rfc4514_string()
    check = verify_seal(on_key["seal"], trusted_cas=[env.ca.ca_der()])
    assert check.ok, check.checks
    assert check.seal.certs == (r.cert_der,)
    assert check.seal.valid_end == cert.not_valid_after_utc
    # the private key stays on the key: sensitive and never extractable
    with env.tokens.session(r.serial, user_pin=r.user_pin) as s:
        objs = s.objects()
    assert "private_key" in [o.kind for o in objs]
    rec = env.service.repo.get(r.serial)
    assert rec is not None and rec.state is KeyState.ACTIVE and rec.issuances == 1
    job = env.service.repo.job("DG-20261121-0001", "new")
    assert job is not None and job.state == "done"
    done = [s["step"] for s in env.service.repo.steps(job.id) if s["state"] == "done"]
    assert done == list(ISSUE_STEPS)
    history = [(h["from_state"], h["to_state"]) for h in env.service.repo.history(r.serial)]
    assert history == [("blank", "formatted"), ("formatted", "active")]


def test_the_journal_has_a_started_and_a_done_row_for_every_step(env: KeyEnv) -> None:
    # a step's 'done' and the next one's 'started' share a commit: the rows stay the same
    issue(env)
    job = env.service.repo.job("DG-20261121-0001", "new")
    assert job is not None
    rows = [(s["step"], s["state"]) for s in env.service.repo.steps(job.id)]
    ran = [step for step in ISSUE_STEPS if not step.startswith("enc_")]  # no key escrow here
    assert rows == [(step, state) for step in ran for state in ("started", "done")]


def test_a_crash_after_a_step_resumes_at_the_next_one(env: KeyEnv) -> None:
    # stopped once 'csr' is done: the next step is journalled started (same commit), not done
    class Stop(Exception):
        pass

    def stop(order_no: str, step: str) -> None:
        if step == "csr":
            raise Stop

    env.service.after_step = stop
    with pytest.raises(Stop):
        issue(env)
    job = env.service.repo.job("DG-20261121-0001", "new")
    assert job is not None and job.last_step == "csr"
    rows = [(s["step"], s["state"]) for s in env.service.repo.steps(job.id)]
    assert rows[-2:] == [("csr", "done"), ("certify", "started")]
    env.service.after_step = None
    r = issue(env)
    assert env.service.repo.job("DG-20261121-0001", "new").state == "done"
    after = [(s["step"], s["state"]) for s in env.service.repo.steps(job.id)][len(rows) :]
    # certify runs again from its start; the resumed user session sets a fresh PIN (init_pin)
    assert after[:2] == [("certify", "started"), ("certify", "done")]
    done = [step for step, state in after if state == "done" and step != "init_pin"]
    assert done == ["certify", "write_cert", "write_seal", "verify"]
    assert env.tokens.key(r.serial).label == "DG-20261121-0001"


def test_rsa_2048_is_the_default_and_works_on_the_key(tmp_path) -> None:
    e = make_env(tmp_path / "rsa", algorithm=KeyAlgorithm.RSA2048)
    try:
        r = issue(e, seal=False)
        pub = x509.load_der_x509_certificate(r.cert_der).public_key()
        assert pub.key_size == 2048  # type: ignore[union-attr]
    finally:
        e.close()


def test_watcher_reports_keys_inserted_and_removed(env: KeyEnv) -> None:
    r = issue(env, seal=False)
    events: list[tuple[str, str]] = []
    seen = threading.Condition()

    def on_change(what: str, key) -> None:
        with seen:
            events.append((what, key.serial or "blank"))
            seen.notify_all()

    w = env.tokens.watch(on_change, interval=0.05)
    try:
        with seen:
            assert seen.wait_for(lambda: ("inserted", r.serial) in events, timeout=5)
        env.sim.pull(r.serial)
        with seen:
            assert seen.wait_for(lambda: ("removed", r.serial) in events, timeout=5)
        env.sim.insert_blank()
        with seen:
            assert seen.wait_for(lambda: ("inserted", "blank") in events, timeout=5)
    finally:
        w.stop()


def test_renew_extends_from_the_old_expiry_and_rebinds_the_seal(env: KeyEnv) -> None:
    r = issue(env, years=1)
    old = x509.load_der_x509_certificate(r.cert_der)
    r2 = env.service.renew(order_no="DG-20261121-0002", actor="op-07", user_pin=r.user_pin, years=2)
    new = r2.certificate
    assert new.public_key().public_numbers() == old.public_key().public_numbers()  # same pair
    want = old.not_valid_after_utc.replace(year=old.not_valid_after_utc.year + 2)
    assert new.not_valid_after_utc == want
    seal = parse_seal(env.service.read_key(r.serial)["seal"])
    assert seal.certs == (r2.cert_der,) and seal.valid_end == new.not_valid_after_utc
    assert env.ca.status(old.serial_number).reason is RevocationReason.SUPERSEDED
    assert env.service.repo.get(r.serial).renewals == 1


def test_change_keeps_not_after_and_refuses_an_expired_certificate(env: KeyEnv) -> None:
    r = issue(env, years=1)
    old = r.certificate
    renamed = SubjectData(unit_name="东莞市新名科技有限公司", uscc=UNIT.uscc)
    r2 = env.service.change(
        order_no="DG-20261121-0002", actor="op-07", user_pin=r.user_pin, subject=renamed
    )
    assert r2.certificate.not_valid_after_utc == old.not_valid_after_utc
    assert "东莞市新名科技有限公司" in r2.certificate.subject.rfc4514_string()
    # a year and a day later the certificate has expired: change says renew first
    env.service.clock = ShiftedClock(SYSTEM_CLOCK, dt.timedelta(days=367))
    with pytest.raises(KeyServiceError) as ei:
        env.service.change(
            order_no="DG-20261121-0003", actor="op-07", user_pin=r.user_pin, subject=UNIT
        )
    assert ei.value.code == "keys.expired" and "renew" in ei.value.message


def test_replace_issues_a_blank_key_with_the_same_subject_and_not_after(env: KeyEnv) -> None:
    r = issue(env)
    env.sim.pull(r.serial)  # lost: only a blank key comes to the counter
    env.sim.insert_blank()
    r2 = env.service.replace(
        order_no="DG-20261121-0002", actor="op-07", old_serial=r.serial, lost=True
    )
    assert r2.serial != r.serial
    old, new = r.certificate, r2.certificate
    assert new.subject == old.subject and new.not_valid_after_utc == old.not_valid_after_utc
    assert env.ca.status(old.serial_number).reason is RevocationReason.KEY_COMPROMISE
    assert env.service.repo.get(r.serial).state is KeyState.TERMINATED
    assert verify_seal(env.service.read_key(r2.serial)["seal"]).ok
    crl = x509.load_der_x509_crl(env.ca.crl())
    assert crl.get_revoked_certificate_by_serial_number(old.serial_number) is not None


def test_unlock_sets_a_new_pin_and_counts_it(env: KeyEnv) -> None:
    r = issue(env, seal=False)
    with pytest.raises(TokenError) as ei, env.tokens.session(r.serial, user_pin="00000000"):
        pass
    assert ei.value.code == "token.wrong_pin"
    key, state = env.service.pin_status()  # shown before any PIN is asked for
    assert state.count_low and key.serial == r.serial
    pin, before = env.service.unlock(order_no="DG-20261121-0002", actor="op-07")
    assert before.count_low and pin != r.user_pin and len(pin) == 8
    with env.tokens.session(r.serial, user_pin=pin):
        pass
    with pytest.raises(TokenError), env.tokens.session(r.serial, user_pin=r.user_pin):
        pass
    assert env.service.repo.get(r.serial).pin_resets == 1


def test_cancel_revokes_then_wipes_and_only_a_wipe_makes_the_key_reusable(env: KeyEnv) -> None:
    r = issue(env)
    env.service.cancel(order_no="DG-20261121-0002", actor="op-07", reason="cessationOfOperation")
    assert env.ca.status(r.certificate.serial_number).reason is (
        RevocationReason.CESSATION_OF_OPERATION
    )
    assert env.service.read_key(r.serial)["objects"] == []
    assert env.service.repo.get(r.serial).state is KeyState.TERMINATED
    with pytest.raises(TokenError) as ei:  # terminated, not blank: no new issue on it yet
        issue(env, "DG-20261121-0003")
    assert ei.value.code == "token.not_blank"
    env.service.wipe(r.serial, actor="sup-01", reason="back to stock")
    r3 = issue(
        env,
        "DG-20261121-0003",
        subject=SubjectData(person_name="张三"),
        kind="individual",
        seal=False,
    )
    assert r3.serial == r.serial
    rec = env.service.repo.get(r.serial)
    assert rec.state is KeyState.ACTIVE and rec.issuances == 2


def test_seal_apply_replaces_the_seal_object(env: KeyEnv) -> None:
    r = issue(env, seal=False)
    assert env.service.read_key(r.serial)["seal"] is None
    der = env.service.apply_seal(
        order_no="DG-20261121-0002",
        actor="op-07",
        user_pin=r.user_pin,
        seal=seal_request("合同专用章"),
    )
    on_key = env.service.read_key(r.serial)["seal"]
    assert on_key == der and parse_seal(der).name == "合同专用章"
    env.service.apply_seal(
        order_no="DG-20261121-0003", actor="op-07", user_pin=r.user_pin, seal=seal_request("公章")
    )
    objs = [o for o in env.service.read_key(r.serial)["objects"] if o.kind == "data"]
    assert len(objs) == 1 and parse_seal(objs[0].value).name == "公章"


# -- wrong keys and bad input: each a named answer, the journal intact ------------------------


def test_no_key_and_two_keys_are_named(env: KeyEnv) -> None:
    env.sim.pull_blank()
    with pytest.raises(TokenError) as ei:
        issue(env)
    assert ei.value.code == "token.no_key"
    env.sim.insert_blank()
    issue(env, seal=False)
    env.sim.insert_blank()  # the issued key and a blank key together
    with pytest.raises(TokenError) as ei:
        issue(env, "DG-20261121-0002")
    assert ei.value.code == "token.two_keys"


def test_a_blank_key_where_the_holders_key_is_needed(env: KeyEnv) -> None:
    with pytest.raises(TokenError) as ei:
        env.service.unlock(order_no="DG-20261121-0009", actor="op-07")
    assert ei.value.code == "token.blank" and "holder" in ei.value.message


def test_another_units_key_is_refused(env: KeyEnv) -> None:
    r = issue(env, seal=False)
    with pytest.raises(KeyServiceError) as ei:
        env.service.renew(
            order_no="DG-20261121-0002",
            actor="op-07",
            user_pin=r.user_pin,
            years=1,
            uscc="91440300MA5FXXXX0X",
        )
    assert ei.value.code == "keys.other_unit"


def test_wrong_pin_says_so_and_keeps_the_journal(env: KeyEnv) -> None:
    r = issue(env, seal=False)
    with pytest.raises(TokenError) as ei:
        env.service.renew(order_no="DG-20261121-0002", actor="op-07", user_pin="11111111", years=1)
    assert ei.value.code == "token.wrong_pin" and "tries" in ei.value.message
    job = env.service.repo.job("DG-20261121-0002", "renew")
    assert job.state == "running"
    assert [s["state"] for s in env.service.repo.steps(job.id)] == ["started", "failed"]
    # the right PIN on the same order finishes the same job
    env.service.renew(order_no="DG-20261121-0002", actor="op-07", user_pin=r.user_pin, years=1)
    assert env.service.repo.job("DG-20261121-0002", "renew").state == "done"


def test_locked_pin_suspends_the_key_and_unlock_reactivates_it(env: KeyEnv, monkeypatch) -> None:
    # SoftHSM never locks a PIN: the module's real PinLocked is raised at the adapter boundary.
    import pkcs11.exceptions as p11e

    r = issue(env, seal=False)
    real_token = env.tokens._token

    class LockedToken:
        """The module's token, as a key whose user PIN is locked answers a user login."""

        def __init__(self, tok):
            self._tok = tok

        def __getattr__(self, name):
            return getattr(self._tok, name)

        def open(self, *a, **kw):
            if kw.get("user_pin"):
                raise p11e.PinLocked()
            return self._tok.open(*a, **kw)

    monkeypatch.setattr(env.tokens, "_token", lambda serial: LockedToken(real_token(serial)))
    with pytest.raises(TokenError) as ei:
        env.service.renew(order_no="DG-20261121-0002", actor="op-07", user_pin=r.user_pin, years=1)
    assert ei.value.code == "token.pin_locked" and "解锁" in ei.value.message
    assert env.service.repo.get(r.serial).state is KeyState.SUSPENDED
    monkeypatch.undo()
    env.service.unlock(order_no="DG-20261121-0003", actor="op-07")
    assert env.service.repo.get(r.serial).state is KeyState.ACTIVE


def test_a_module_that_does_not_load_is_named(tmp_path) -> None:
    from hardware.token import open_tokens

    with pytest.raises(TokenError) as ei:
        open_tokens(str(tmp_path / "no-such-pkcs11.so"))
    assert ei.value.code == "token.module_load"


def test_a_certificate_for_another_key_pair_is_refused(env: KeyEnv) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1())
    other_csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(other, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    real = env.service.issuer

    class WrongIssuer:
        def __getattr__(self, name):
            return getattr(real, name)

        def issue(self, csr_der, *a, **kw):
            return real.issue(other_csr, *a, **kw)

    env.service.issuer = WrongIssuer()
    with pytest.raises(KeyServiceError) as ei:
        issue(env, seal=False)
    assert ei.value.code == "keys.cert_mismatch"
    job = env.service.repo.job("DG-20261121-0001", "new")
    assert job.state == "running" and job.last_step == "csr" and job.cert_der is None
    assert env.service.repo.get(job.key_serial).state is KeyState.FORMATTED  # never handed over
    env.service.issuer = real
    r = issue(env, seal=False)  # the same order resumes and finishes with the right CA answer
    assert r.serial == job.key_serial


def test_a_key_of_an_issued_holder_is_not_blank(env: KeyEnv) -> None:
    r = issue(env, seal=False)
    with pytest.raises(TokenError) as ei:
        issue(env, "DG-20261121-0002")
    assert ei.value.code == "token.not_blank" and r.serial in ei.value.message


def test_wrong_state_transitions_are_refused(env: KeyEnv) -> None:
    r = issue(env, seal=False)
    with pytest.raises(KioskError) as ei:
        env.service.wipe(r.serial, actor="op-07", reason="try")
    assert ei.value.code == "keys.bad_transition"


def test_bad_request_is_refused_before_the_blank_key_is_touched(env: KeyEnv) -> None:
    from kiosk.contracts.subject import CaError

    t = now()
    with pytest.raises(CaError) as ei:  # an org certificate without the unit's USCC
        env.service.issue_new(
            IssueRequest(
                "DG-20261121-0001",
                "org",
                SubjectData(unit_name="某单位"),
                t,
                t + dt.timedelta(days=365),
            ),
            actor="op-07",
        )
    assert ei.value.code == "ca.bad_subject"
    with pytest.raises(KeyServiceError) as ei:
        env.service.issue_new(
            IssueRequest("DG-20261121-0001", "shop", UNIT, t, t + dt.timedelta(days=365)),
            actor="op-07",
        )
    assert ei.value.code == "keys.bad_input"
    assert env.tokens.one_key().blank  # still blank, nothing journalled
    assert env.service.repo.job("DG-20261121-0001", "new") is None
