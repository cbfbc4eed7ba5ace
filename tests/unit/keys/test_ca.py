"""The issuing CA: every profile passes pkilint's RFC 5280 linter; serials, revocation, CRL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pkilint import loader
from pkilint.pkix import certificate, extension, name
from pkilint.validation import ValidationFindingSeverity

from hub.ca import CertificateAuthority, RevocationReason
from kiosk.contracts.subject import CaError, Profile, SubjectData, subject_data_of

PERSON_AND_UNIT = SubjectData(
    unit_name="东莞市测试科技有限公司", uscc="91441900MA4UJ6R63X", person_name="张三"
)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority.open(
        tmp_path_factory.mktemp("ca"), crl_url="http://127.0.0.1:8700/ca/crl.der"
    )


def csr_for(key) -> bytes:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


@pytest.fixture(scope="module")
def rsa_csr() -> bytes:
    return csr_for(rsa.generate_private_key(65537, 2048))


def lint(der: bytes) -> list[str]:
    """pkilint's RFC 5280 certificate linter (the validators ``lint_pkix_cert`` runs)."""
    validator = certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(
            name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS
        ),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )
    doc = loader.RFC5280CertificateDocumentLoader().load_der_document(der, "cert")
    results = validator.validate(doc.root)
    # lower is worse: FATAL 0, ERROR 1, WARNING 2, NOTICE 3, INFO 4. Errors and warnings fail.
    return [
        f"{fd.finding.code} ({fd.finding.severity})"
        for r in results
        for fd in r.finding_descriptions
        if fd.finding.severity <= ValidationFindingSeverity.WARNING
    ]


def window(years: int = 3) -> tuple[dt.datetime, dt.datetime]:
    t = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return t, t + dt.timedelta(days=365 * years)


@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize("keytype", ["rsa", "ec"])
def test_every_profile_passes_pkilint(
    ca: CertificateAuthority, rsa_csr: bytes, profile: Profile, keytype: str
) -> None:
    csr = rsa_csr if keytype == "rsa" else csr_for(ec.generate_private_key(ec.SECP256R1()))
    der = ca.issue_from_csr(csr, profile, PERSON_AND_UNIT, *window())
    assert lint(der) == []


def test_ca_and_seal_maker_certificates_pass_pkilint(ca: CertificateAuthority) -> None:
    assert lint(ca.ca_der()) == []
    assert lint(ca.seal_maker_der()) == []


def test_the_linter_does_find_errors() -> None:
    # a certificate without extensions, v1-style issues: proves the lint helper can fail
    key = ec.generate_private_key(ec.SECP256R1())
    n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    t, end = window()
    bad = (
        x509.CertificateBuilder()
        .subject_name(n)
        .issuer_name(n)
        .public_key(key.public_key())
        .serial_number(0x01)
        .not_valid_before(t)
        .not_valid_after(end)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, False, False, False, False),
            critical=False,
        )
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    assert lint(bad) != []


def test_profiles_put_the_right_subject(ca: CertificateAuthority, rsa_csr: bytes) -> None:
    org = x509.load_der_x509_certificate(
        ca.issue_from_csr(rsa_csr, "org", PERSON_AND_UNIT, *window())
    )
    rep = x509.load_der_x509_certificate(
        ca.issue_from_csr(rsa_csr, "legal-rep", PERSON_AND_UNIT, *window())
    )
    ind = x509.load_der_x509_certificate(
        ca.issue_from_csr(rsa_csr, "individual", SubjectData(person_name="张三"), *window())
    )

    def get(c, oid):
        return [a.value for a in c.subject.get_attributes_for_oid(oid)]

    assert get(org, NameOID.COMMON_NAME) == ["东莞市测试科技有限公司"]
    assert get(org, NameOID.ORGANIZATION_IDENTIFIER) == ["NTRCN-91441900MA4UJ6R63X"]
    assert get(rep, NameOID.COMMON_NAME) == ["张三"]
    assert get(rep, NameOID.ORGANIZATION_NAME) == ["东莞市测试科技有限公司"]
    assert get(ind, NameOID.ORGANIZATION_NAME) == [] and get(ind, NameOID.COMMON_NAME) == ["张三"]
    assert subject_data_of(org).uscc == "91441900MA4UJ6R63X"
    assert subject_data_of(rep).person_name == "张三"
    for c in (org, rep, ind):
        ku = c.extensions.get_extension_for_class(x509.KeyUsage)
        assert ku.critical and ku.value.digital_signature and ku.value.content_commitment
        eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert ExtendedKeyUsageOID.CLIENT_AUTH in eku
        dp = c.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert dp[0].full_name[0].value == "http://127.0.0.1:8700/ca/crl.der"
        assert not c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_serials_are_random_and_at_least_64_bits(ca: CertificateAuthority, rsa_csr: bytes) -> None:
    serials = [
        x509.load_der_x509_certificate(
            ca.issue_from_csr(rsa_csr, "org", PERSON_AND_UNIT, *window())
        ).serial_number
        for _ in range(8)
    ]
    assert len(set(serials)) == 8
    assert all(s.bit_length() > 64 for s in serials)


def test_revocation_reasons_land_in_the_crl(ca: CertificateAuthority, rsa_csr: bytes) -> None:
    a = x509.load_der_x509_certificate(
        ca.issue_from_csr(rsa_csr, "org", PERSON_AND_UNIT, *window())
    )
    b = x509.load_der_x509_certificate(
        ca.issue_from_csr(rsa_csr, "org", PERSON_AND_UNIT, *window())
    )
    ca.revoke(a.serial_number, "keyCompromise")
    ca.revoke(b.serial_number, RevocationReason.UNSPECIFIED)
    ca.revoke(a.serial_number, "superseded")  # idempotent: the first reason stays
    crl = x509.load_der_x509_crl(ca.crl())
    assert crl.is_signature_valid(ca.certificate.public_key())
    ra = crl.get_revoked_certificate_by_serial_number(a.serial_number)
    rb = crl.get_revoked_certificate_by_serial_number(b.serial_number)
    assert ra.extensions.get_extension_for_class(x509.CRLReason).value.reason is (
        x509.ReasonFlags.key_compromise
    )
    with pytest.raises(x509.ExtensionNotFound):  # RFC 5280: no reasonCode for "unspecified"
        rb.extensions.get_extension_for_class(x509.CRLReason)
    n1 = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    n2 = (
        x509.load_der_x509_crl(ca.crl())
        .extensions.get_extension_for_class(x509.CRLNumber)
        .value.crl_number
    )
    assert n2 == n1 + 1


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda ca, csr: ca.issue_from_csr(b"garbage", "org", PERSON_AND_UNIT, *window()),
            "ca.bad_csr",
        ),
        (
            lambda ca, csr: ca.issue_from_csr(csr, "shop", PERSON_AND_UNIT, *window()),
            "ca.bad_profile",
        ),
        (
            lambda ca, csr: ca.issue_from_csr(csr, "org", SubjectData(person_name="x"), *window()),
            "ca.bad_subject",
        ),
        (
            lambda ca, csr: ca.issue_from_csr(
                csr, "org", PERSON_AND_UNIT, window()[1], window()[0]
            ),
            "ca.bad_validity",
        ),
        (
            lambda ca, csr: ca.issue_from_csr(csr, "org", PERSON_AND_UNIT, *window(30)),
            "ca.bad_validity",
        ),
        (lambda ca, csr: ca.revoke(12345, "keyCompromise"), "ca.unknown_serial"),
        (lambda ca, csr: ca.revoke(12345, "because"), "ca.bad_reason"),
    ],
    ids=["garbage-csr", "profile", "subject", "validity-order", "outlives-ca", "serial", "reason"],
)
def test_bad_requests_are_named(ca: CertificateAuthority, rsa_csr: bytes, call, code) -> None:
    with pytest.raises(CaError) as ei:
        call(ca, rsa_csr)
    assert ei.value.code == code


def test_tampered_csr_and_weak_key_are_refused(ca: CertificateAuthority) -> None:
    weak = csr_for(rsa.generate_private_key(65537, 1024))
    with pytest.raises(CaError, match="2048"):
        ca.issue_from_csr(weak, "org", PERSON_AND_UNIT, *window())
    good = bytearray(csr_for(ec.generate_private_key(ec.SECP256R1())))
    good[-3] ^= 0x01
    with pytest.raises(CaError) as ei:
        ca.issue_from_csr(bytes(good), "org", PERSON_AND_UNIT, *window())
    assert ei.value.code == "ca.bad_csr"


def test_production_mode_does_not_invent_a_ca(tmp_path: Path) -> None:
    with pytest.raises(CaError) as ei:
        CertificateAuthority.open(tmp_path / "empty", create=False)
    assert ei.value.code == "ca.missing"


def test_state_survives_a_restart(tmp_path: Path, rsa_csr: bytes) -> None:
    ca1 = CertificateAuthority.open(tmp_path / "ca")
    c = x509.load_der_x509_certificate(
        ca1.issue_from_csr(rsa_csr, "org", PERSON_AND_UNIT, *window())
    )
    ca1.revoke(c.serial_number, "superseded")
    ca1.close()
    ca2 = CertificateAuthority.open(tmp_path / "ca")
    assert ca2.certificate == ca1.certificate
    assert ca2.status(c.serial_number).reason is RevocationReason.SUPERSEDED


def test_the_crl_passes_pkilint(ca: CertificateAuthority, rsa_csr: bytes) -> None:
    from pkilint import pkix
    from pkilint.pkix import crl as pcrl

    c = x509.load_der_x509_certificate(
        ca.issue_from_csr(rsa_csr, "org", PERSON_AND_UNIT, *window())
    )
    ca.revoke(c.serial_number, "superseded")
    validator = pcrl.create_pkix_crl_validator_container(
        [
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [
            pcrl.create_issuer_validator_container([]),
            pcrl.create_validity_validator_container([]),
            pcrl.create_extensions_validator_container([]),
        ],
    )
    doc = loader.RFC5280CertificateListDocumentLoader().load_der_document(ca.crl(), "crl")
    findings = [
        f"{fd.finding.code} ({fd.finding.severity})"
        for r in validator.validate(doc.root)
        for fd in r.finding_descriptions
        if fd.finding.severity <= ValidationFindingSeverity.WARNING
    ]
    assert findings == []
