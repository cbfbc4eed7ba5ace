"""The keys area's CertificateIssuer port over the hub, against the real issuing CA (hub.ca):
certificates and seals once per request id, revocation reaching the CRL, seals refused for
certificates the hub never issued."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub import kiosks
from hub.app import create_app
from hub.ca import CertificateAuthority
from hub.db import HubDB
from kiosk.contracts.sealobj import SEAL_TYPE_ORG, SealSpec, verify_seal
from kiosk.contracts.subject import SubjectData
from kiosk.keys.issuer import CertificateIssuer
from kiosk.sync.client import HubClient, HubRefused
from kiosk.sync.hub_issuer import HubIssuer
from tests.keys_support import seal_png
from tests.support.ca import ThrowawayCA
from tests.support.procs import threaded_hub

pytestmark = pytest.mark.e2e

SUBJECT = SubjectData(unit_name="东莞市某某科技有限公司", uscc="91441900MA4UJ8GK5T")


@pytest.fixture
def issuer(tmp_path):
    ca = CertificateAuthority.open(tmp_path / "ca", create=True)
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-01")
    with threaded_hub(create_app(hubdb, ca)) as url, HubClient(url, cred) as client:
        yield HubIssuer(client), ca
    ca.close()


def csr() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    req = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "key")]))
        .sign(key, hashes.SHA256())
    )
    return req.public_bytes(serialization.Encoding.DER)


def window():
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return start, start + dt.timedelta(days=365)


def test_hub_issuer_is_a_certificate_issuer(issuer):
    assert isinstance(issuer[0], CertificateIssuer)


def test_issue_once_per_request_id_then_seal_then_revoke(issuer):
    hub_issuer, ca = issuer
    nb, na = window()
    request = csr()
    der = hub_issuer.issue(request, "org", SUBJECT, nb, na, request_id="DG-1:new:certify:0")
    again = hub_issuer.issue(request, "org", SUBJECT, nb, na, request_id="DG-1:new:certify:0")
    assert der == again
    cert = x509.load_der_x509_certificate(der)
    assert cert.issuer == ca.certificate.subject
    assert cert.not_valid_before_utc == nb and cert.not_valid_after_utc == na

    spec = SealSpec(
        es_id="4419000000001",
        name="东莞市某某科技有限公司公章",
        seal_type=SEAL_TYPE_ORG,
        certs=(der,),
        valid_start=nb,
        valid_end=na,
        picture=seal_png(),
        width_mm=42,
        height_mm=42,
    )
    seal = hub_issuer.make_seal(spec, request_id="DG-1:new:seal:0")
    assert hub_issuer.make_seal(spec, request_id="DG-1:new:seal:0") == seal
    check = verify_seal(seal, trusted_cas=hub_issuer.trusted_cas())
    assert check.ok, check

    hub_issuer.revoke(cert.serial_number, "keyCompromise", request_id="DG-1:cancel:revoke:0")
    hub_issuer.revoke(cert.serial_number, "keyCompromise", request_id="DG-1:cancel:revoke:0")
    crl = x509.load_der_x509_crl(hub_issuer.client.crl())
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None


def test_the_real_ca_refusals_come_back_by_name(issuer):
    hub_issuer, _ca = issuer
    nb, na = window()
    with pytest.raises(HubRefused) as e:
        hub_issuer.issue(csr(), "server", SUBJECT, nb, na, request_id="DG-2:new:certify:0")
    assert e.value.code == "hub.ca_refused"
    # A seal bound to a certificate this hub never issued is refused.
    stranger = ThrowawayCA().issue_from_csr(csr(), "org", {"unit_name": "x"}, nb, na)
    spec = SealSpec(
        es_id="4419000000002",
        name="某章",
        seal_type=SEAL_TYPE_ORG,
        certs=(stranger.public_bytes(serialization.Encoding.DER),),
        valid_start=nb,
        valid_end=na,
        picture=seal_png(),
        width_mm=42,
        height_mm=42,
    )
    with pytest.raises(HubRefused) as e:
        hub_issuer.make_seal(spec, request_id="DG-2:new:seal:0")
    assert e.value.code == "hub.seal_cert_unknown"
