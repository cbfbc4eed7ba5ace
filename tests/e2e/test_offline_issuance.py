"""Offline issuance: a new-certificate visit made while the hub is unreachable finishes when it
answers, and the pickup (领取) hands the key only to the visit's agent."""

from __future__ import annotations

import sqlite3

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from data import outbox
from data.store import Store
from hub import kiosks
from hub.app import create_app
from hub.ca import CertificateAuthority
from hub.db import HubDB
from hub.events import counts_by_kiosk
from kiosk.errors import VisitError
from kiosk.sync import issuance
from kiosk.sync.client import HubClient, HubUnavailable
from kiosk.sync.status import read_status
from kiosk.sync.worker import SyncWorker
from tests.support.faultproxy import FaultProxy
from tests.support.procs import threaded_hub

pytestmark = pytest.mark.e2e

AGENT = "44190019580101001X"  # registered in Dongguan after 1988: an area code younger than him
SOMEONE_ELSE = "110101199003070011"


@pytest.fixture
def setup(tmp_path):
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    ca = CertificateAuthority.open(tmp_path / "ca", create=True)  # the real issuing CA
    cred = kiosks.enrol(hubdb, "dg-01")
    with threaded_hub(create_app(hubdb, ca)) as url:
        port = int(url.rsplit(":", 1)[1])
        proxy = FaultProxy(port, mode="refuse")  # the counter's network is down
        try:
            yield {
                "hubdb": hubdb,
                "ca": ca,
                "db": Store.open(tmp_path / "kiosk.db").db,
                "client": HubClient(proxy.url, cred, timeout=2),
                "proxy": proxy,
            }
        finally:
            proxy.close()
    ca.close()


def issued_by(ca) -> int:
    """How many certificates the CA has signed (its own ledger)."""
    with sqlite3.connect(ca.directory / "ca.sqlite") as conn:
        return conn.execute("SELECT count(*) FROM certs").fetchone()[0]


def key_on_token():
    """The key pair the token makes (its private half never leaves the key) and its CSR."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "东莞市某某有限公司")]))
        .sign(key, hashes.SHA256())
    )
    return key, csr.public_bytes(serialization.Encoding.DER)


def test_offline_new_certificate_finishes_when_the_hub_answers(setup):
    db, client, proxy, ca = setup["db"], setup["client"], setup["proxy"], setup["ca"]
    key, csr = key_on_token()
    subject = {"unit_name": "东莞市某某有限公司", "uscc": "91441900MA4UJ8GK5T"}
    # The visit tries online first; the hub cannot be reached, so the request is queued.
    with pytest.raises(HubUnavailable):
        client.request_certificate("probe-0001", csr, "org", subject, {"years": 3})
    rid = issuance.queue_request(
        db,
        order_no="DG-20261121-0007",
        visit_id="DG-20261121-0007",
        token_serial="SN0001",
        csr_der=csr,
        profile="org",
        subject=subject,
        validity={"years": 3},
        agent_id_number=AGENT,
    )
    [waiting] = issuance.keys_waiting(db)
    assert waiting["state"] == "waiting" and waiting["order_no"] == "DG-20261121-0007"
    assert read_status(db).keys_waiting == 1

    worker = SyncWorker(db, client)
    assert not worker.drain_once().ok  # still offline: nothing changes
    assert issuance.keys_waiting(db)[0]["state"] == "waiting"

    proxy.mode = "pass"  # the network is back
    result = worker.drain_once()
    assert result.ok and result.certificates == 1
    [ready] = issuance.keys_waiting(db)
    assert ready["state"] == "ready" and "insert the key" in ready["action"]
    cert = x509.load_der_x509_certificate(issuance.certificate_for(db, rid))
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert cert.issuer == ca.certificate.subject

    issuance.mark_installed(db, rid)  # the keys area wrote it onto the token
    with pytest.raises(VisitError) as wrong:
        issuance.hand_over(db, rid, SOMEONE_ELSE)
    assert wrong.value.code == "pickup.wrong_agent"
    assert issuance.keys_waiting(db)[0]["state"] == "installed"  # refused: nothing changed
    issuance.hand_over(db, rid, AGENT.lower())  # a lower-case x on the card reads the same
    assert issuance.keys_waiting(db) == []

    # Every step reached the back office, once.
    assert worker.drain_once().ok
    kinds = [e["kind"] for e in outbox.list_events(db, "sent")]
    assert kinds == [
        "certificate.requested",
        "certificate.issued",
        "certificate.installed",
        "key.handed_over",
    ]
    assert counts_by_kiosk(setup["hubdb"]) == {"dg-01": 4}


def test_a_lost_issuance_answer_is_asked_again_and_issued_once(setup):
    db, client, proxy, ca = setup["db"], setup["client"], setup["proxy"], setup["ca"]
    _key, csr = key_on_token()
    rid = issuance.queue_request(
        db,
        order_no="DG-20261121-0008",
        csr_der=csr,
        profile="org",
        subject={"unit_name": "某单位", "uscc": "91441900MA4UJ8GK5T"},
        validity={"years": 1},
        agent_id_number=AGENT,
    )
    proxy.mode = "lose_answer"
    with pytest.raises(HubUnavailable):
        issuance.complete_waiting(db, client)
    assert issued_by(ca) == 1  # the hub issued, the kiosk never heard
    proxy.mode = "pass"
    assert issuance.complete_waiting(db, client) == 1
    assert issued_by(ca) == 1  # asked again: the same certificate, not a second one
    cert = x509.load_der_x509_certificate(issuance.certificate_for(db, rid))
    assert ca.status(cert.serial_number).revoked_at is None


def test_a_refused_request_is_marked_for_a_supervisor(setup):
    db, client, proxy = setup["db"], setup["client"], setup["proxy"]
    _key, csr = key_on_token()
    issuance.queue_request(
        db,
        order_no="DG-20261121-0009",
        csr_der=csr,
        profile="no-such-profile",
        subject={"unit_name": "某单位", "uscc": "91441900MA4UJ8GK5T"},
        validity={"years": 1},
        agent_id_number=AGENT,
    )
    proxy.mode = "pass"
    assert SyncWorker(db, client).drain_once().ok
    [row] = issuance.keys_waiting(db)
    assert row["state"] == "failed" and "hub.ca_refused" in row["last_error"]
