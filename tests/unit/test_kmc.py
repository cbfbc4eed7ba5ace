"""The hub's key management centre (KMC): encryption key pairs made, escrowed (encrypted at rest)
and certified for signing certificates issued here, delivered only wrapped for a transport key,
recovered for the same holder, audited, and refused for revoked certificates or wrong kiosks."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding
from starlette.testclient import TestClient

from hub import kiosks
from hub.app import create_app
from hub.ca import CertificateAuthority
from hub.db import HubDB
from hub.kmc import KeyManagementCentre, KmcError
from tests.support.ca import make_csr
from tests.support.postgres import pg_cluster  # noqa: F401 - a fixture
from tests.unit.keys.test_ca import lint

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
UNIT = {"unit_name": "东莞托管测试有限公司", "uscc": "91441900MA4UJ6R63X"}
OTHER = {"unit_name": "东莞别家有限公司", "uscc": "91441900MA4UL5CB0Q"}


@pytest.fixture(params=["sqlite", "postgresql"])
def hubdb(request, tmp_path):
    if request.param == "sqlite":
        db = HubDB(f"sqlite:///{tmp_path}/hub.db")
    else:
        db = HubDB(request.getfixturevalue("pg_cluster").fresh())
    yield db
    db.close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> CertificateAuthority:
    return CertificateAuthority.open(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def kmc(tmp_path, hubdb, ca) -> KeyManagementCentre:
    return KeyManagementCentre(tmp_path / "kmc", hubdb, ca)


@pytest.fixture
def client(hubdb, ca, kmc) -> TestClient:
    cred = kiosks.enrol(hubdb, "dg-01")
    c = TestClient(create_app(hubdb, ca, kmc=kmc))
    c.headers["Authorization"] = f"Bearer {cred}"
    return c


@pytest.fixture(scope="module")
def transport() -> rsa.RSAPrivateKey:
    """What the USB key's transport key pair does, played by the host (the token path is
    tested end to end on SoftHSM2 in tests/e2e/test_key_escrow.py)."""
    return rsa.generate_private_key(65537, 2048)


def spki(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def signing_cert(client: TestClient, rid: str, subject: dict[str, str] = UNIT) -> str:
    r = client.post(
        "/api/v1/certificates",
        json={
            "request_id": rid,
            "csr": base64.b64encode(make_csr()).decode(),
            "profile": "org",
            "subject": subject,
            "validity": {"years": 1},
        },
    )
    assert r.status_code == 200, r.text
    return str(r.json()["serial"])


def unwrap(answer: dict, key: rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    kek = key.decrypt(base64.b64decode(answer["wrapped_kek"]), OAEP)
    pkcs8 = aes_key_unwrap_with_padding(kek, base64.b64decode(answer["wrapped_key"]))
    priv = serialization.load_der_private_key(pkcs8, password=None)
    assert isinstance(priv, rsa.RSAPrivateKey)
    return priv


def escrow(client: TestClient, signing: str, key: rsa.RSAPrivateKey, rid: str = "DG-1:new:escrow"):
    return client.post(
        "/api/v1/kmc/escrow",
        json={"request_id": rid, "signing_serial": signing, "transport_key": spki(key)},
    )


def recover(client, signing: str, enc: str, key, rid: str = "DG-2:key-recovery"):
    return client.post(
        "/api/v1/kmc/recover",
        json={
            "request_id": rid,
            "signing_serial": signing,
            "encryption_serial": enc,
            "transport_key": spki(key),
            "order_no": rid.split(":")[0],
            "agent_digest": "a" * 32,
        },
    )


def test_escrow_delivers_a_wrapped_key_for_an_encryption_certificate_of_the_same_holder(
    client, transport
) -> None:
    signing = signing_cert(client, "DG-1:new:certify:0")
    r = escrow(client, signing, transport)
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["status"] == "escrowed" and a["wrap"] == "rsa-oaep-sha1/aes-kwp"
    priv = unwrap(a, transport)
    cert = x509.load_pem_x509_certificate(a["certificate_pem"].encode())
    assert cert.public_key().public_numbers() == priv.public_key().public_numbers()
    assert format(cert.serial_number, "x") == a["encryption_serial"]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_encipherment
    assert not ku.value.digital_signature and not ku.value.content_commitment
    assert lint(cert.public_bytes(serialization.Encoding.DER)) == []


def test_the_encryption_certificate_names_the_signing_certificate_subject(
    client, transport, ca
) -> None:
    signing = signing_cert(client, "DG-3:new:certify:0")
    a = escrow(client, signing, transport, rid="DG-3:new:escrow").json()
    enc = x509.load_pem_x509_certificate(a["certificate_pem"].encode())
    st = ca.status(int(signing, 16))
    assert enc.subject.rfc4514_string() == st.subject
    assert enc.issuer == ca.certificate.subject


def test_escrowed_keys_are_encrypted_at_rest_under_the_master_key(
    client, transport, hubdb, kmc, ca, tmp_path
) -> None:
    signing = signing_cert(client, "DG-4:new:certify:0")
    a = escrow(client, signing, transport, rid="DG-4:new:escrow").json()
    pkcs8 = unwrap(a, transport).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with hubdb.transaction() as tx:
        (sealed,) = tx.one(
            "SELECT sealed_key FROM escrowed_keys WHERE encryption_serial = ?",
            (a["encryption_serial"],),
        )
    raw = base64.b64decode(sealed)
    assert pkcs8 not in raw and pkcs8[-64:] not in raw  # not the key in clear
    assert len(raw) == 12 + len(pkcs8) + 16  # nonce + AES-GCM ciphertext + tag
    if hubdb.dialect == "sqlite":
        assert pkcs8[-64:] not in (tmp_path / "hub.db").read_bytes()
    assert ((tmp_path / "kmc" / "kmc.master").stat().st_mode & 0o777) == 0o600
    # another master key (a KMC restored without its key file) cannot open it
    stranger = KeyManagementCentre(tmp_path / "other-kmc", hubdb, ca)
    with pytest.raises(KmcError) as ei:
        stranger.recover(
            "dg-01",
            {
                "request_id": "DG-5:key-recovery",
                "signing_serial": signing,
                "encryption_serial": a["encryption_serial"],
                "transport_key": spki(transport),
            },
        )
    assert ei.value.code == "kmc.sealed_key"


def test_a_repeated_request_gets_the_same_key_rewrapped(client, transport) -> None:
    signing = signing_cert(client, "DG-6:new:certify:0")
    first = escrow(client, signing, transport, rid="DG-6:new:escrow").json()
    other_transport = rsa.generate_private_key(65537, 2048)
    again = escrow(client, signing, other_transport, rid="DG-6:new:escrow").json()
    assert again["status"] == "already_escrowed"
    assert again["encryption_serial"] == first["encryption_serial"]
    assert again["wrapped_kek"] != first["wrapped_kek"]
    k1, k2 = unwrap(first, transport), unwrap(again, other_transport)
    assert k1.private_numbers() == k2.private_numbers()


def test_recovery_returns_the_escrowed_key_and_is_audited(client, transport, kmc) -> None:
    signing = signing_cert(client, "DG-7:new:certify:0")
    a = escrow(client, signing, transport, rid="DG-7:new:escrow").json()
    fresh = rsa.generate_private_key(65537, 2048)
    r = recover(client, signing, a["encryption_serial"], fresh, rid="DG-8:key-recovery")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "recovered"
    assert unwrap(r.json(), fresh).private_numbers() == unwrap(a, transport).private_numbers()
    rows = [x for x in kmc.audit_rows() if x["encryption_serial"] == a["encryption_serial"]]
    assert [x["action"] for x in rows] == ["escrowed", "recovered"]
    rec = rows[1]
    assert rec["kiosk"] == "dg-01" and rec["order_no"] == "DG-8"
    assert rec["agent_digest"] == "a" * 32 and rec["signing_serial"] == signing
    dt.datetime.fromisoformat(rec["at"].replace("Z", "+00:00"))  # when


def test_recovery_of_a_key_whose_certificate_is_revoked_is_refused(client, transport, kmc) -> None:
    signing = signing_cert(client, "DG-9:new:certify:0")
    a = escrow(client, signing, transport, rid="DG-9:new:escrow").json()
    enc = a["encryption_serial"]
    r = client.post(f"/api/v1/certificates/{enc}/revoke", json={"reason": "keyCompromise"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = recover(client, signing, enc, transport, rid="DG-10:key-recovery")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "kmc.cert_revoked"
    assert "wrapped_key" not in r.text
    assert kmc.audit_rows()[-1]["action"] == "refused"
    assert kmc.audit_rows()[-1]["detail"] == "kmc.cert_revoked"


def test_recovery_with_a_revoked_signing_certificate_is_refused(client, transport) -> None:
    signing = signing_cert(client, "DG-11:new:certify:0")
    a = escrow(client, signing, transport, rid="DG-11:new:escrow").json()
    client.post(f"/api/v1/certificates/{signing}/revoke", json={"reason": "cessationOfOperation"})
    r = recover(client, signing, a["encryption_serial"], transport, rid="DG-12:key-recovery")
    assert r.status_code == 422 and r.json()["error"]["code"] == "kmc.cert_revoked"
    r = escrow(client, signing, transport, rid="DG-12:new:escrow")
    assert r.status_code == 422 and r.json()["error"]["code"] == "kmc.cert_revoked"


def test_another_holders_certificate_cannot_recover_the_key(client, transport) -> None:
    signing = signing_cert(client, "DG-13:new:certify:0")
    a = escrow(client, signing, transport, rid="DG-13:new:escrow").json()
    stranger = signing_cert(client, "DG-14:new:certify:0", OTHER)
    r = recover(client, stranger, a["encryption_serial"], transport, rid="DG-14:key-recovery")
    assert r.status_code == 422 and r.json()["error"]["code"] == "kmc.other_holder"


def test_unknown_key_is_404_and_unknown_signing_certificate_422(client, transport) -> None:
    signing = signing_cert(client, "DG-15:new:certify:0")
    r = recover(client, signing, "abc123", transport, rid="DG-15:key-recovery")
    assert r.status_code == 404 and r.json()["error"]["code"] == "kmc.unknown_key"
    r = escrow(client, "abc123", transport, rid="DG-16:new:escrow")
    assert r.status_code == 422 and r.json()["error"]["code"] == "kmc.unknown_certificate"


@pytest.mark.parametrize("header", [None, "Bearer dg-01:wrong", "Bearer nobody:x"])
@pytest.mark.parametrize("action", ["escrow", "recover"])
def test_wrong_kiosk_credential_gets_401_and_nothing(hubdb, ca, kmc, transport, header, action):
    kiosks.enrol(hubdb, "dg-01")
    c = TestClient(create_app(hubdb, ca, kmc=kmc))
    headers = {"Authorization": header} if header else {}
    r = c.post(
        f"/api/v1/kmc/{action}",
        json={"request_id": "DG-17:new:escrow", "signing_serial": "1", "transport_key": "x"},
        headers=headers,
    )
    assert r.status_code == 401
    assert kmc.audit_rows() == []
    with hubdb.transaction() as tx:
        assert tx.one("SELECT COUNT(*) FROM escrowed_keys")[0] == 0


def test_no_kmc_is_503_and_bad_transport_key_is_refused(hubdb, ca, client, transport) -> None:
    cred = kiosks.enrol(hubdb, "dg-02")
    bare = TestClient(create_app(hubdb, ca))
    r = bare.post("/api/v1/kmc/escrow", json={}, headers={"Authorization": f"Bearer {cred}"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "hub.no_kmc"
    signing = signing_cert(client, "DG-18:new:certify:0")
    weak = rsa.generate_private_key(65537, 1024)
    r = escrow(client, signing, weak, rid="DG-18:new:escrow")
    assert r.status_code == 422 and r.json()["error"]["code"] == "kmc.bad_transport_key"
