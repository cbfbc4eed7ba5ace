"""A throwaway issuing CA for tests, built with cryptography, implementing the hub's
``CertificateAuthority`` interface (the real one is ``hub/ca`` from the keys issue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PROFILES = ("org", "legal-rep", "individual")
REASONS = (
    "unspecified",
    "keyCompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
)


class ThrowawayCA:
    """An EC P-256 root that signs CSRs, revokes, and signs CRLs."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
        now = datetime.now(UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.revoked: dict[int, tuple[datetime, str]] = {}
        self.issued: list[int] = []

    def issue_from_csr(self, csr_der, profile, subject_data, not_before, not_after):
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        unknown = set(subject_data) - {"unit_name", "uscc", "person_name", "province", "locality"}
        if unknown:
            raise ValueError(f"unknown subject data {sorted(unknown)}")
        cn = subject_data.get("person_name") or subject_data.get("unit_name")
        if not cn:
            raise ValueError("subject data names nobody")
        attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
        if subject_data.get("unit_name"):
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject_data["unit_name"]))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
        subject = x509.Name(attrs)
        csr = x509.load_der_x509_csr(csr_der)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .sign(self.key, hashes.SHA256())
        )
        self.issued.append(cert.serial_number)
        return cert

    def revoke(self, serial, reason):
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        self.revoked.setdefault(serial, (datetime.now(UTC), reason))

    def crl(self):
        now = datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now)
            .next_update(now + timedelta(days=1))
        )
        for serial, (when, _reason) in self.revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(self.key, hashes.SHA256())


def make_csr(cn: str = "Test Unit") -> bytes:
    """A DER CSR for a fresh EC key (what the key would make on the token)."""
    from cryptography.hazmat.primitives import serialization

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.DER)
