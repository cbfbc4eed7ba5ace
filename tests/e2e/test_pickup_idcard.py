"""领取 (pickup) with the real card path: a key prepared offline is handed over only when the
ID card read on the reader (pcscd + vpcd + the virtual card) is the visit's agent's."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from data.store import Store
from hardware.sim.person import load_person
from hub import kiosks
from hub.app import create_app
from hub.ca import CertificateAuthority
from hub.db import HubDB
from kiosk.errors import VisitError
from kiosk.sync import issuance
from kiosk.sync.client import HubClient
from tests.support.procs import threaded_hub

pytestmark = [pytest.mark.e2e, pytest.mark.needs_pcscd]


def prepared_key(tmp_path, agent_id: str):
    """An offline new-certificate visit for ``agent_id``, finished and written to the key."""
    ca = CertificateAuthority.open(tmp_path / "ca", create=True)
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-01")
    db = Store.open(tmp_path / "kiosk.db").db
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k")]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    rid = issuance.queue_request(
        db,
        order_no="DG-20261121-0011",
        csr_der=csr,
        profile="org",
        subject={"unit_name": "东莞市某某有限公司", "uscc": "91441900MA4UJ8GK5T"},
        validity={"years": 1},
        agent_id_number=agent_id,
        token_serial="SN77",
    )
    with threaded_hub(create_app(hubdb, ca)) as url, HubClient(url, cred) as client:
        assert issuance.complete_waiting(db, client) == 1
    ca.close()
    issuance.mark_installed(db, rid)
    return db, rid


def read_id(insert_card, pcsc_reader, person: str) -> str:
    card = insert_card(person)
    pcsc_reader.wait_for_card(5)
    number = pcsc_reader.read().id_number
    card.remove()
    assert pcsc_reader.wait_for_removal(5)
    return number


def test_pickup_hands_the_key_only_to_the_agents_card(tmp_path, insert_card, pcsc_reader):
    agent = load_person("zhang_wei")
    db, rid = prepared_key(tmp_path, agent.id_number)

    stranger = read_id(insert_card, pcsc_reader, "jin_meishan")
    with pytest.raises(VisitError) as refused:
        issuance.hand_over(db, rid, stranger)
    assert refused.value.code == "pickup.wrong_agent"
    assert issuance.keys_waiting(db)[0]["state"] == "installed"

    issuance.hand_over(db, rid, read_id(insert_card, pcsc_reader, "zhang_wei"))
    assert issuance.keys_waiting(db) == []
