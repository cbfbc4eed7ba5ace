"""Renewal (更新) and change (变更) of a key with an escrowed encryption pair (双证书), as
`kiosk visit run` processes in --training: the hub's KMC certifies the same escrowed key again
with the new subject and the signing certificate's validity, the new encryption certificate
replaces the old one on the SoftHSM2 key, the old one is revoked (superseded / affiliationChanged,
read back from the hub's CRL), and a later key recovery returns the key with the current
certificate. kill -9 at each new step boundary resumes without a second certificate or event."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk.domain import clock
from kiosk.keys.service import ENC_ID_PREFIX
from tests.e2e.test_key_escrow import OAEP, Token, data, enc_private_keys, key_row, one
from tests.e2e.test_visits_cli import crash_run, kiosk, pin_of, run_file, toml_for
from tests.flows_helpers import AGENT, fresh_uscc

pytestmark = pytest.mark.e2e

__all__ = ["data"]  # the module's training hub (with its KMC), shared with test_key_escrow

ENTERPRISE = 'unit_type = "enterprise"'
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def hub_db(data: Path) -> Path:
    return data / "training" / "hub" / "hub.db"


def crl_reason(data: Path, serial_hex: str) -> str | None:
    """The revocation reason of ``serial_hex`` on the hub's CRL (None: not revoked)."""
    url = json.loads((data / "training" / "hub" / "flows-hub.json").read_text())["url"]
    url = url.rstrip("/").removesuffix("/api/v1")
    crl = x509.load_der_x509_crl(httpx.get(url + "/api/v1/crl").content)
    entry = crl.get_revoked_certificate_by_serial_number(int(serial_hex, 16))
    if entry is None:
        return None
    return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name


def token_enc_certs(data: Path, serial: str, pin: str, key_id: str) -> list[bytes]:
    with Token(data, serial, pin) as s:
        enc_id = ENC_ID_PREFIX + bytes.fromhex(key_id)
        return [o.value for o in s.objects() if o.kind == "certificate" and o.key_id == enc_id]


def new_key(data: Path) -> tuple[dict, str, str]:
    uscc = fresh_uscc()
    p = run_file(data, toml_for("new", years=1, uscc=uscc))
    assert p.returncode == 0, p.stdout + p.stderr
    new = json.loads(p.stdout)
    return new, uscc, pin_of(data, new["order"])


def test_renew_certifies_the_escrowed_key_again_and_recovery_returns_the_current_one(
    data: Path,
) -> None:
    new, uscc, pin = new_key(data)
    serial = new["key"]["serial"]
    key_id, _signing, enc1, enc1_der = key_row(data, serial)
    old_enc = x509.load_der_x509_certificate(enc1_der)

    r = run_file(data, toml_for("renew", years=2, order=new["order"], uscc=uscc, pin=pin))
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    _kid, signing2, enc2, enc2_der = key_row(data, serial)
    assert signing2 == out["certificate"]["serial"] and enc2 != enc1
    enc = x509.load_der_x509_certificate(enc2_der)
    signing_not_after = out["certificate"]["not_after"]
    # the new encryption certificate: same key pair, the renewed validity, the same holder
    assert enc.public_key().public_bytes(*SPKI) == old_enc.public_key().public_bytes(*SPKI)
    assert clock.to_storage(enc.not_valid_after_utc) == signing_not_after
    assert enc.not_valid_after_utc > old_enc.not_valid_after_utc
    assert enc.subject.rfc4514_string() == out["certificate"]["subject"]
    # on the key: the new certificate replaced the old one; the private key is the same one
    assert token_enc_certs(data, serial, pin, key_id) == [enc2_der]
    with Token(data, serial, pin) as s:
        enc_id = ENC_ID_PREFIX + bytes.fromhex(key_id)
        assert s.decrypt(enc_id, enc.public_key().encrypt(b"after renewal", OAEP)) == (
            b"after renewal"
        )
    # the old encryption certificate is revoked as superseded; the new one is not
    assert crl_reason(data, enc1) == "superseded"
    assert crl_reason(data, enc2) is None
    # the KMC audited it; one event on the kiosk's outbox, and it reached the hub
    assert one(
        hub_db(data),
        "SELECT action, detail, order_no FROM kmc_audit WHERE encryption_serial = ?",
        enc2,
    ) == ("recertified", f"replaces {enc1}", out["order"])
    kdb = data / "training" / "kiosk.db"
    assert one(
        kdb,
        "SELECT COUNT(*) FROM outbox WHERE visit_id = ? AND kind = 'key.encryption_recertified'",
        out["order"],
    ) == (1,)
    assert one(
        hub_db(data),
        "SELECT COUNT(*) FROM events WHERE visit_id = ? AND kind = 'key.encryption_recertified'",
        out["order"],
    ) == (1,)

    # the encryption key breaks on the key; a recovery puts it back with the current certificate
    with Token(data, serial, pin) as s:
        assert s.delete(kind="private_key", key_id=ENC_ID_PREFIX + bytes.fromhex(key_id)) == 1
    rec = run_file(data, toml_for("key-recovery", order=new["order"], uscc=uscc, pin=pin))
    assert rec.returncode == 0, rec.stdout + rec.stderr
    got = json.loads(rec.stdout)
    assert got["certificate"]["serial"] == signing2
    assert key_row(data, serial)[2] == enc2
    assert token_enc_certs(data, serial, pin, key_id) == [enc2_der]
    with Token(data, serial, pin) as s:
        enc_id = ENC_ID_PREFIX + bytes.fromhex(key_id)
        ct = enc.public_key().encrypt(b"recovered after renewal", OAEP)
        assert s.decrypt(enc_id, ct) == b"recovered after renewal"


def test_change_gives_the_encryption_certificate_the_new_subject(data: Path) -> None:
    new, uscc, pin = new_key(data)
    serial = new["key"]["serial"]
    key_id, _signing, enc1, _ = key_row(data, serial)
    text = toml_for("change", order=new["order"], uscc=uscc, pin=pin).replace(
        'name = "东莞邮寄有限公司"', 'name = "东莞邮寄变更后有限公司"'
    )
    r = run_file(data, text)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert "东莞邮寄变更后有限公司" in out["certificate"]["subject"]
    _kid, _s2, enc2, enc2_der = key_row(data, serial)
    enc = x509.load_der_x509_certificate(enc2_der)
    assert enc2 != enc1
    assert enc.subject.rfc4514_string() == out["certificate"]["subject"]
    assert clock.to_storage(enc.not_valid_after_utc) == (out["certificate"]["not_after"])
    assert token_enc_certs(data, serial, pin, key_id) == [enc2_der]
    assert crl_reason(data, enc1) == "affiliation_changed"
    # the holder (the unit) recovers the key after the change
    rec = run_file(data, toml_for("key-recovery", order=new["order"], uscc=uscc, pin=pin))
    assert rec.returncode == 0, rec.stdout + rec.stderr
    assert enc_private_keys(data, serial, pin) == 1


@pytest.mark.parametrize("step", ["revoke_old", "enc_recertify", "enc_cert", "enc_revoke_old"])
def test_kill_9_at_each_renewal_escrow_step_then_resume(data: Path, step: str) -> None:
    new, uscc, pin = new_key(data)
    serial = new["key"]["serial"]
    key_id, _signing, enc1, _ = key_row(data, serial)
    text = toml_for("renew", years=1, order=new["order"], uscc=uscc, pin=pin)
    p = crash_run(data, text, after_key_step=step)
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stderr)
    kdb = data / "training" / "kiosk.db"
    (order,) = one(kdb, "SELECT order_no FROM visits ORDER BY id DESC LIMIT 1")
    # the PIN is never kept: the resumed renewal is given it again
    args = ("visit", "resume", order, "--training", "--data-dir", str(data), "--json")
    r = kiosk(*args, "--pin", pin)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["state"] == "done"
    _kid, signing2, enc2, enc2_der = key_row(data, serial)
    assert signing2 == out["certificate"]["serial"] and enc2 != enc1
    # one new encryption certificate for the renewed signing certificate, audited once
    assert one(
        hub_db(data), "SELECT COUNT(*) FROM escrowed_keys WHERE signing_serial = ?", signing2
    ) == (1,)
    assert one(
        hub_db(data),
        "SELECT encryption_serial FROM escrowed_keys WHERE signing_serial = ?",
        signing2,
    ) == (enc2,)
    assert one(
        hub_db(data),
        "SELECT COUNT(*) FROM kmc_audit WHERE signing_serial = ? AND action = 'recertified'",
        signing2,
    ) == (1,)
    (job,) = one(kdb, "SELECT id FROM key_jobs WHERE order_no = ? AND service = 'renew'", order)
    for s in ("enc_recertify", "enc_cert", "enc_revoke_old"):
        assert one(
            kdb,
            "SELECT COUNT(*) FROM key_job_steps WHERE job_id = ? AND step = ? AND state = 'done'",
            job,
            s,
        ) == (1,), s
    assert one(
        kdb,
        "SELECT COUNT(*) FROM outbox WHERE visit_id = ? AND kind = 'key.encryption_recertified'",
        order,
    ) == (1,)
    assert token_enc_certs(data, serial, pin, key_id) == [enc2_der]
    assert crl_reason(data, enc1) == "superseded" and crl_reason(data, enc2) is None
    assert enc_private_keys(data, serial, pin) == 1


def resident_id(body17: str) -> str:
    """A resident ID number with its GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


def test_a_namesake_cannot_renew_an_individual_key_with_an_escrowed_pair(data: Path) -> None:
    p = run_file(data, toml_for("new", years=1, kind="individual", program="gd-procurement"))
    assert p.returncode == 0, p.stdout + p.stderr
    new = json.loads(p.stdout)
    serial, pin = new["key"]["serial"], pin_of(data, new["order"])
    before = key_row(data, serial)
    namesake = resident_id("44190019850101123")
    text = toml_for(
        "renew", years=1, kind="individual", program="gd-procurement", order=new["order"], pin=pin
    )
    assert AGENT["id_number"] in text
    r = run_file(data, text.replace(AGENT["id_number"], namesake))
    assert r.returncode == 1, r.stdout + r.stderr
    out = json.loads(r.stdout)
    # Refused at identify: before anything is paid, and the key is not touched.
    assert out["code"] == "visit.not_holder" and out["step"] == "identify"
    assert out["payment"] is None, out
    assert key_row(data, serial) == before
    # the holder renews, and the KMC (which kept the holder's ID digest) certifies the key again
    r = run_file(
        data,
        toml_for(
            "renew",
            years=1,
            kind="individual",
            program="gd-procurement",
            order=new["order"],
            pin=pin,
        ),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert key_row(data, serial)[2] != before[2]


def test_a_change_to_another_legal_representative_is_refused_before_the_key_is_touched(
    data: Path,
) -> None:
    uscc = fresh_uscc()
    text = toml_for("new", years=1, kind="legal-rep", program="gd-procurement", uscc=uscc)
    p = run_file(data, text.replace(ENTERPRISE, ENTERPRISE + '\nlegal_rep = "李法人"'))
    assert p.returncode == 0, p.stdout + p.stderr
    new = json.loads(p.stdout)
    serial, pin = new["key"]["serial"], pin_of(data, new["order"])
    before = key_row(data, serial)
    text = toml_for(
        "change", kind="legal-rep", program="gd-procurement", order=new["order"], uscc=uscc, pin=pin
    )
    text = text.replace(
        'unit_type = "enterprise"', 'unit_type = "enterprise"\nlegal_rep = "王另人"'
    )
    r = run_file(data, text)
    assert r.returncode == 1, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["code"] == "keys.other_holder", out
    assert "新办" in out["reason"]
    assert key_row(data, serial) == before
