"""Key escrow and key recovery (双证书, 密钥恢复) as `kiosk visit run` processes in --training:
the hub's KMC delivers an encryption key pair onto every new key, wrapped and unwrapped inside
the SoftHSM2 token; a key recovery visit puts the escrowed key back after it is gone from the
key, and the recovered private key on the token decrypts what was encrypted to the encryption
certificate. Signing keys are refused by name; with `key_escrow = "none"` the refusal is clear;
kill -9 at every escrow step boundary resumes without a second key pair or event."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from hardware.token import open_tokens
from kiosk.keys.service import ENC_ID_PREFIX
from tests.e2e.test_visits_cli import ENV, crash_run, kiosk, pin_of, run_file, toml_for
from tests.flows_helpers import ROOT, fresh_uscc

pytestmark = pytest.mark.e2e

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """One training data dir whose hub (with its KMC) runs for the whole module."""
    from kiosk.shell.training_hub import LocalHub

    d = tmp_path_factory.mktemp("escrow")
    hub = LocalHub(d / "training" / "hub")
    url, _ = hub.start()
    assert hub.proc is not None
    (d / "training" / "hub" / "flows-hub.json").write_text(
        json.dumps({"pid": hub.proc.pid, "url": url})
    )
    yield d
    hub.stop()


def one(db: Path, sql: str, *args: object) -> tuple:
    c = sqlite3.connect(db)
    try:
        return tuple(c.execute(sql, args).fetchone() or ())
    finally:
        c.close()


def key_row(data: Path, serial: str) -> tuple:
    return one(
        data / "training" / "kiosk.db",
        "SELECT key_id, cert_serial, enc_cert_serial, enc_cert_der FROM keys WHERE serial = ?",
        serial,
    )


class Token:
    """The SoftHSM2 key of the stand-in, opened in this process with the holder's PIN."""

    def __init__(self, data: Path, serial: str, pin: str):
        self.tokens = open_tokens(
            "/usr/lib/softhsm/libsofthsm2.so", standin_dir=data / "training" / "tokens"
        )
        sim = self.tokens.standin
        if serial not in sim.inserted():
            for s in sim.inserted():
                sim.pull(s)
            sim.pull_blank()
            sim.insert(serial)
            self.tokens.rescan()
        self.serial, self.pin = serial, pin

    def __enter__(self):
        self._cm = self.tokens.session(self.serial, user_pin=self.pin, rw=True)
        return self._cm.__enter__()

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        self.tokens.close()


def enc_private_keys(data: Path, serial: str, pin: str) -> int:
    with Token(data, serial, pin) as s:
        return sum(
            1 for o in s.objects() if o.kind == "private_key" and o.key_id.startswith(ENC_ID_PREFIX)
        )


def test_new_then_recovery_puts_back_a_key_that_decrypts_for_the_encryption_certificate(
    data: Path,
) -> None:
    uscc = fresh_uscc()
    p = run_file(data, toml_for("new", years=1, uscc=uscc))
    assert p.returncode == 0, p.stdout + p.stderr
    new = json.loads(p.stdout)
    serial, order = new["key"]["serial"], new["order"]
    pin = pin_of(data, order)
    key_id, signing, enc_serial, enc_der = key_row(data, serial)
    assert enc_serial and enc_der, "the KMC delivered an encryption certificate"
    enc_cert = x509.load_der_x509_certificate(enc_der)
    assert enc_cert.subject.rfc4514_string() == new["certificate"]["subject"]
    ku = enc_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_encipherment and not ku.digital_signature
    hub_db = data / "training" / "hub" / "hub.db"
    assert one(
        hub_db, "SELECT COUNT(*) FROM escrowed_keys WHERE encryption_serial = ?", enc_serial
    ) == (1,)
    enc_id = ENC_ID_PREFIX + bytes.fromhex(key_id)
    # the key arrived wrapped and was unwrapped inside the token: there it is sensitive
    with Token(data, serial, pin) as s:
        secret = b"\xe5\xaf\x86\xe9\x92\xa5 escrow test"
        assert s.decrypt(enc_id, enc_cert.public_key().encrypt(secret, OAEP)) == secret
        # the encryption key breaks on the key (a damaged object): gone from the token
        assert s.delete(kind="private_key", key_id=enc_id) == 1
    assert enc_private_keys(data, serial, pin) == 0

    text = toml_for("key-recovery", order=order, uscc=uscc, pin=pin)
    r = run_file(data, text)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["state"] == "done" and out["total_fen"] == 0 and out["payment"] is None
    assert out["key"] == {"serial": serial, "state": "active"}
    assert out["certificate"]["serial"] == signing  # the signing certificate is untouched

    # the recovered private key is on the token and decrypts for the encryption certificate
    with Token(data, serial, pin) as s:
        ct = enc_cert.public_key().encrypt(b"recovered for the holder", OAEP)
        assert s.decrypt(enc_id, ct) == b"recovered for the holder"
    assert enc_private_keys(data, serial, pin) == 1

    kdb = data / "training" / "kiosk.db"
    shown = kiosk("visit", "show", out["order"], "--training", "--data-dir", str(data), "--json")
    steps = [(x["step"], x["state"]) for x in json.loads(shown.stdout)["journal"]]
    assert ("keys", "done") in steps
    job = one(
        kdb,
        "SELECT id FROM key_jobs WHERE order_no = ? AND service = ?",
        out["order"],
        "key-recovery",
    )[0]
    c = sqlite3.connect(kdb)
    done = [
        r[0]
        for r in c.execute(
            "SELECT step FROM key_job_steps WHERE job_id = ? AND state = 'done' ORDER BY id", (job,)
        )
    ]
    c.close()
    assert done == ["enc_fetch", "enc_cert", "enc_verify"]
    assert one(
        kdb,
        "SELECT COUNT(*) FROM outbox WHERE visit_id = ? AND kind = 'key.recovered'",
        out["order"],
    ) == (1,)
    # audited on the hub: which kiosk recovered which key, for which order, when
    at, kiosk_name, action, order_no, agent = one(
        hub_db,
        "SELECT at, kiosk, action, order_no, agent_digest FROM kmc_audit "
        "WHERE encryption_serial = ? AND action = 'recovered'",
        enc_serial,
    )
    assert kiosk_name == "training" and order_no == out["order"] and action == "recovered"
    assert at.startswith(out["certificate"]["not_before"][:4])  # a UTC time stamp
    assert re.fullmatch(r"[0-9a-f]{32}", agent)
    # the event reached the hub's event log (the visit synced)
    assert one(
        hub_db,
        "SELECT COUNT(*) FROM events WHERE visit_id = ? AND kind = 'key.recovered'",
        out["order"],
    ) == (1,)


def test_a_signing_key_is_never_recovered(data: Path) -> None:
    uscc = fresh_uscc()
    new = json.loads(run_file(data, toml_for("new", years=1, uscc=uscc)).stdout)
    pin = pin_of(data, new["order"])
    text = toml_for("key-recovery", order=new["order"], uscc=uscc, pin=pin)
    r = run_file(data, text + 'recover = "signing"\n')
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["code"] == "visit.signing_key_not_recoverable"
    assert "signing keys are never recovered" in out["reason"]


def test_another_units_agent_cannot_recover_the_key(data: Path) -> None:
    uscc = fresh_uscc()
    new = json.loads(run_file(data, toml_for("new", years=1, uscc=uscc)).stdout)
    pin = pin_of(data, new["order"])
    r = run_file(data, toml_for("key-recovery", order=new["order"], uscc=fresh_uscc(), pin=pin))
    assert r.returncode == 1
    assert json.loads(r.stdout)["code"] == "keys.other_unit"


def test_without_escrow_the_kiosk_says_so(data: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "kiosk.toml"
    text = (ROOT / "kiosk.toml").read_text(encoding="utf-8")
    assert 'key_escrow = "hub"' in text  # the shipped default
    cfg.write_text(text.replace('key_escrow = "hub"', 'key_escrow = "none"'), encoding="utf-8")
    env = {**ENV, "KIOSK_CONFIG": str(cfg)}
    uscc = fresh_uscc()
    p = run_file(data, toml_for("new", years=1, uscc=uscc), env=env)
    assert p.returncode == 0, p.stderr
    new = json.loads(p.stdout)
    assert key_row(data, new["key"]["serial"])[2] is None  # signing only: no encryption pair
    pin = pin_of(data, new["order"])
    r = run_file(data, toml_for("key-recovery", order=new["order"], uscc=uscc, pin=pin), env=env)
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["code"] == "visit.no_escrow" and out["step"] == "keys"
    assert "no" in out["reason"] and "escrow" in out["reason"]


@pytest.mark.parametrize("step", ["verify", "enc_fetch", "enc_cert", "enc_verify"])
def test_kill_9_at_each_escrow_step_boundary_then_resume(data: Path, step: str) -> None:
    uscc = fresh_uscc()
    p = crash_run(data, toml_for("new", years=1, uscc=uscc), after_key_step=step)
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stderr)
    kdb = data / "training" / "kiosk.db"
    (order,) = one(kdb, "SELECT order_no FROM visits ORDER BY id DESC LIMIT 1")
    r = kiosk("visit", "resume", order, "--training", "--data-dir", str(data), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["state"] == "done"
    serial = out["key"]["serial"]
    _key_id, signing, enc_serial, _ = key_row(data, serial)
    hub_db = data / "training" / "hub" / "hub.db"
    # one encryption key pair escrowed for this signing certificate, one audit row, one on the key
    assert one(hub_db, "SELECT COUNT(*) FROM escrowed_keys WHERE signing_serial = ?", signing) == (
        1,
    )
    assert one(
        hub_db, "SELECT encryption_serial FROM escrowed_keys WHERE signing_serial = ?", signing
    ) == (enc_serial,)
    assert one(
        hub_db,
        "SELECT COUNT(*) FROM kmc_audit WHERE signing_serial = ? AND action = 'escrowed'",
        signing,
    ) == (1,)
    assert one(
        kdb,
        "SELECT COUNT(*) FROM outbox WHERE visit_id = ? AND kind = 'key.encryption_escrowed'",
        order,
    ) == (1,)
    assert enc_private_keys(data, serial, pin_of(data, order)) == 1


@pytest.mark.parametrize("step", ["enc_fetch", "enc_cert"])
def test_kill_9_in_a_recovery_then_resume_recovers_once(data: Path, step: str) -> None:
    uscc = fresh_uscc()
    new = json.loads(run_file(data, toml_for("new", years=1, uscc=uscc)).stdout)
    pin = pin_of(data, new["order"])
    text = toml_for("key-recovery", order=new["order"], uscc=uscc, pin=pin)
    p = crash_run(data, text, after_key_step=step)
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stderr)
    kdb = data / "training" / "kiosk.db"
    (order,) = one(kdb, "SELECT order_no FROM visits ORDER BY id DESC LIMIT 1")
    args = ("visit", "resume", order, "--training", "--data-dir", str(data), "--json")
    r = kiosk(*args, "--pin", pin)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["state"] == "done"
    (job,) = one(
        kdb, "SELECT id FROM key_jobs WHERE order_no = ? AND service = 'key-recovery'", order
    )
    for s in ("enc_fetch", "enc_cert", "enc_verify"):
        assert one(
            kdb,
            "SELECT COUNT(*) FROM key_job_steps WHERE job_id = ? AND step = ? AND state = 'done'",
            job,
            s,
        ) == (1,), s
    assert one(
        kdb, "SELECT COUNT(*) FROM outbox WHERE visit_id = ? AND kind = 'key.recovered'", order
    ) == (1,)
    assert enc_private_keys(data, new["key"]["serial"], pin) == 1
    hub_url = f"sqlite:///{data / 'training' / 'hub' / 'hub.db'}"
    audit = kiosk("hub", "kmc-audit", "--db", hub_url, "--json")
    assert audit.returncode == 0, audit.stderr
    mine = [a for a in json.loads(audit.stdout) if a["order_no"] == order]
    # one recovery, audited once, for all the crash
    assert [a["action"] for a in mine] == ["recovered"]
