"""The issuing CA: its key and certificate, issuance from CSRs, revocation and the CRL.

For training and tests the CA creates its own key and self-signed certificate on first start (and
a seal-maker key and certificate under it, for signing electronic seal objects). In production the
key and certificate are configured files (:meth:`CertificateAuthority.open` with ``create=False``).
Issued certificates and revocations are kept in a small SQLite file beside the key, so the CRL
survives restarts. One CA object serialises its own writes (a lock around the database).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.contracts.subject import (
    CaError,
    Profile,
    SubjectData,
    encryption_extensions,
    end_entity_extensions,
    subject_name,
)
from kiosk.domain.clock import SYSTEM_CLOCK, Clock

UTC = dt.UTC


class RevocationReason(StrEnum):
    """RFC 5280 CRLReason (section 5.3.1), by its ASN.1 name. Code 7 is unused by the RFC."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    CA_COMPROMISE = "cACompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"
    CERTIFICATE_HOLD = "certificateHold"
    PRIVILEGE_WITHDRAWN = "privilegeWithdrawn"
    AA_COMPROMISE = "aACompromise"


_REASON_FLAGS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.CA_COMPROMISE: x509.ReasonFlags.ca_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
    RevocationReason.AA_COMPROMISE: x509.ReasonFlags.aa_compromise,
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS certs (
    serial TEXT PRIMARY KEY,          -- hex, lower case
    profile TEXT NOT NULL,
    subject TEXT NOT NULL,            -- RFC 4514 string, for people
    not_before TEXT NOT NULL,         -- UTC ISO-8601
    not_after TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    der BLOB NOT NULL,
    revoked_at TEXT,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _now(clock: Clock = SYSTEM_CLOCK) -> dt.datetime:
    return clock.now().replace(microsecond=0)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CertStatus:
    """What the CA knows of one serial."""

    serial: int
    profile: str
    subject: str
    not_after: dt.datetime
    revoked_at: dt.datetime | None
    reason: RevocationReason | None


class CertificateAuthority:
    """The issuing CA.

    Use :meth:`open`; the constructor takes already-loaded material.

    Args:
        directory: where the CA database (and, for training, the key files) live.
        key, cert: the CA's private key and certificate.
        seal_key, seal_cert: the seal maker's (制章人) key and certificate, signed by the CA.
        crl_url: the CRL distribution point written into every certificate.
        clock: where issue, revocation and CRL times come from.
    """

    def __init__(
        self,
        directory: Path,
        key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
        cert: x509.Certificate,
        seal_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
        seal_cert: x509.Certificate,
        crl_url: str,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.directory = Path(directory)
        self.clock = clock
        self.key = key
        self.certificate = cert
        self.seal_key = seal_key
        self.seal_certificate = seal_cert
        self.crl_url = crl_url
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.directory / "ca.sqlite", check_same_thread=False)
        self._db.executescript(_SCHEMA)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        crl_url: str = "http://127.0.0.1:8700/ca/crl.der",
        create: bool = True,
        name: str = "NETCA Counter Kiosk Training CA",
    ) -> CertificateAuthority:
        """Load the CA from ``directory``; with ``create``, make key and certificate on first start.

        Files: ``ca.key.pem``, ``ca.cert.pem``, ``sealmaker.key.pem``, ``sealmaker.cert.pem``.

        Raises:
            CaError: ``ca.missing`` when the files are absent and ``create`` is False, or
                ``ca.bad_key`` when they do not load.
        """
        d = Path(directory)
        files = [
            d / n for n in ("ca.key.pem", "ca.cert.pem", "sealmaker.key.pem", "sealmaker.cert.pem")
        ]
        if not all(f.exists() for f in files):
            if not create:
                raise CaError(f"No CA key and certificate in {d}", code="ca.missing")
            d.mkdir(parents=True, exist_ok=True)
            _create_training_ca(d, name, crl_url)
        try:
            key = serialization.load_pem_private_key(files[0].read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(files[1].read_bytes())
            skey = serialization.load_pem_private_key(files[2].read_bytes(), password=None)
            scert = x509.load_pem_x509_certificate(files[3].read_bytes())
        except (ValueError, TypeError, OSError) as e:
            raise CaError(f"The CA files in {d} do not load: {e}", code="ca.bad_key") from e
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) or not isinstance(
            skey, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
        ):
            raise CaError("The CA key must be RSA or EC", code="ca.bad_key")
        return cls(d, key, cert, skey, scert, crl_url)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    # -- issuing -----------------------------------------------------------------------------

    def issue_from_csr(
        self,
        csr_der: bytes,
        profile: Profile | str,
        subject_data: SubjectData | dict[str, str],
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> bytes:
        """Issue a certificate for the public key in a PKCS#10 request.

        The subject comes from ``subject_data`` through the profile (the CA decides the subject,
        the request only proves possession of the key).

        Args:
            csr_der: the DER request, signed with the key pair being certified.
            profile: ``org`` / ``legal-rep`` / ``individual``.
            subject_data: :class:`SubjectData` (or its dict).
            not_before, not_after: validity (aware datetimes; stored and encoded in UTC).

        Returns:
            the certificate, DER.

        Raises:
            CaError: ``ca.bad_csr`` (unparsable, bad signature, weak key), ``ca.bad_profile``,
                ``ca.bad_subject``, ``ca.bad_validity``.
        """
        try:
            prof = Profile(profile)
        except ValueError:
            raise CaError(
                f"Unknown profile {profile!r}; known: {', '.join(p.value for p in Profile)}",
                code="ca.bad_profile",
            ) from None
        data = (
            subject_data
            if isinstance(subject_data, SubjectData)
            else SubjectData.from_dict(subject_data)
        )
        try:
            csr = x509.load_der_x509_csr(csr_der)
            ok = csr.is_signature_valid
        except (ValueError, InvalidSignature) as e:
            raise CaError(f"The certificate request does not parse: {e}", code="ca.bad_csr") from e
        if not ok:
            raise CaError("The certificate request's signature is wrong", code="ca.bad_csr")
        return self._issue(csr.public_key(), prof, data, not_before, not_after, "signing")

    def issue_encryption_certificate(
        self,
        public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
        profile: Profile | str,
        subject_data: SubjectData | dict[str, str],
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> bytes:
        """Certify an *encryption* key pair the hub's key management centre (KMC) made.

        The subject is built by the same profile from the same subject data as the holder's
        signing certificate, so the pair of certificates (双证书) names one holder; the key
        usage is keyEncipherment (RSA) or keyAgreement (EC) only (no possession proof: the KMC
        made the key itself).

        Raises:
            CaError: as :meth:`issue_from_csr`.
        """
        try:
            prof = Profile(profile)
        except ValueError:
            raise CaError(f"Unknown profile {profile!r}", code="ca.bad_profile") from None
        data = (
            subject_data
            if isinstance(subject_data, SubjectData)
            else SubjectData.from_dict(subject_data)
        )
        return self._issue(public_key, prof, data, not_before, not_after, "encryption")

    def _issue(
        self,
        pub: object,
        prof: Profile,
        data: SubjectData,
        not_before: dt.datetime,
        not_after: dt.datetime,
        usage: str,
    ) -> bytes:
        if isinstance(pub, rsa.RSAPublicKey):
            if pub.key_size < 2048:
                raise CaError("RSA keys must be at least 2048 bits", code="ca.bad_csr")
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            if pub.curve.name != "secp256r1":
                raise CaError("EC keys must be on P-256", code="ca.bad_csr")
        else:
            raise CaError("Only RSA and EC keys are certified", code="ca.bad_csr")
        if not_before.tzinfo is None or not_after.tzinfo is None:
            raise CaError("Validity times must carry a time zone", code="ca.bad_validity")
        nb, na = not_before.astimezone(UTC), not_after.astimezone(UTC)
        if na <= nb:
            raise CaError("notAfter must be after notBefore", code="ca.bad_validity")
        if na > self.certificate.not_valid_after_utc:
            raise CaError("The certificate would outlive the CA", code="ca.bad_validity")

        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject_name(prof, data))
            .issuer_name(self.certificate.subject)
            .public_key(pub)
            .serial_number(x509.random_serial_number())  # 159 random bits (>= 64 required)
            .not_valid_before(nb)
            .not_valid_after(na)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
            .add_extension(_crl_dp(self.crl_url), critical=False)
        )
        extensions = (
            encryption_extensions(pub) if usage == "encryption" else end_entity_extensions(prof)
        )
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical=critical)
        cert = builder.sign(self.key, hashes.SHA256())
        der = cert.public_bytes(serialization.Encoding.DER)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO certs"
                " (serial, profile, subject, not_before, not_after, issued_at, der)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    f"{cert.serial_number:x}",
                    prof.value,
                    cert.subject.rfc4514_string(),
                    _iso(nb),
                    _iso(na),
                    _iso(_now(self.clock)),
                    der,
                ),
            )
        return der

    # -- revocation --------------------------------------------------------------------------

    def revoke(
        self, serial: int, reason: RevocationReason | str = RevocationReason.UNSPECIFIED
    ) -> None:
        """Revoke an issued certificate (idempotent: a second call keeps the first date/reason).

        Raises:
            CaError: ``ca.unknown_serial``, ``ca.bad_reason``.
        """
        try:
            why = RevocationReason(reason)
        except ValueError:
            raise CaError(
                f"Unknown revocation reason {reason!r}; RFC 5280 reasons: "
                + ", ".join(r.value for r in RevocationReason),
                code="ca.bad_reason",
            ) from None
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT revoked_at FROM certs WHERE serial = ?", (f"{serial:x}",)
            ).fetchone()
            if row is None:
                raise CaError(
                    f"No certificate with serial {serial:x} was issued here",
                    code="ca.unknown_serial",
                )
            if row[0] is None:
                self._db.execute(
                    "UPDATE certs SET revoked_at = ?, reason = ? WHERE serial = ?",
                    (_iso(_now(self.clock)), why.value, f"{serial:x}"),
                )

    def status(self, serial: int) -> CertStatus:
        """What the CA knows of a serial.

        Raises:
            CaError: ``ca.unknown_serial``.
        """
        row = self._db.execute(
            "SELECT profile, subject, not_after, revoked_at, reason FROM certs WHERE serial = ?",
            (f"{serial:x}",),
        ).fetchone()
        if row is None:
            raise CaError(f"No certificate with serial {serial:x}", code="ca.unknown_serial")
        return CertStatus(
            serial=serial,
            profile=row[0],
            subject=row[1],
            not_after=dt.datetime.fromisoformat(row[2]),
            revoked_at=dt.datetime.fromisoformat(row[3]) if row[3] else None,
            reason=RevocationReason(row[4]) if row[4] else None,
        )

    def crl(self, *, next_update: dt.timedelta = dt.timedelta(days=7)) -> bytes:
        """A fresh CRL (DER) of every revoked certificate, with a CRL number that only grows."""
        now = _now(self.clock)
        with self._lock, self._db:
            row = self._db.execute("SELECT value FROM meta WHERE name = 'crl_number'").fetchone()
            number = int(row[0]) + 1 if row else 1
            self._db.execute(
                "INSERT INTO meta (name, value) VALUES ('crl_number', ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (str(number),),
            )
            revoked = self._db.execute(
                "SELECT serial, revoked_at, reason FROM certs WHERE revoked_at IS NOT NULL"
            ).fetchall()
        ca_ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        b = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now)
            .next_update(now + next_update)
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
        )
        for serial_hex, at, reason in revoked:
            rb = (
                x509.RevokedCertificateBuilder()
                .serial_number(int(serial_hex, 16))
                .revocation_date(dt.datetime.fromisoformat(at))
            )
            # RFC 5280 5.3.1: the reason code SHOULD be absent rather than "unspecified".
            if reason and reason != RevocationReason.UNSPECIFIED:
                rb = rb.add_extension(
                    x509.CRLReason(_REASON_FLAGS[RevocationReason(reason)]), critical=False
                )
            b = b.add_revoked_certificate(rb.build())
        return b.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    # -- the seal maker ----------------------------------------------------------------------

    @property
    def seal_maker_alg(self) -> str:
        """OID of the seal maker's signature: ECDSA-with-SHA256 or sha256WithRSAEncryption."""
        if isinstance(self.seal_key, ec.EllipticCurvePrivateKey):
            return "1.2.840.10045.4.3.2"
        return "1.2.840.113549.1.1.11"

    def sign_as_seal_maker(self, data: bytes) -> bytes:
        """Sign ``data`` with the seal maker's key (SHA-256, :attr:`seal_maker_alg`)."""
        if isinstance(self.seal_key, ec.EllipticCurvePrivateKey):
            return self.seal_key.sign(data, ec.ECDSA(hashes.SHA256()))
        from cryptography.hazmat.primitives.asymmetric import padding

        return self.seal_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def seal_maker_der(self) -> bytes:
        """The seal maker's certificate, DER."""
        return self.seal_certificate.public_bytes(serialization.Encoding.DER)

    def ca_der(self) -> bytes:
        """The CA certificate, DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)


def _crl_dp(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _create_training_ca(d: Path, name: str, crl_url: str) -> None:
    now = _now()
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "NETCA Counter Kiosk (training)"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    ca_ku = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ca_ku, critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal_ku = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    seal_cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "NETCA Counter Kiosk (training)"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "Seal Maker (制章人)"),
                ]
            )
        )
        .issuer_name(subject)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * 10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(seal_ku, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), critical=False
        )
        .add_extension(_crl_dp(crl_url), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    none = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    _write_private(d / "ca.key.pem", key.private_bytes(pem, pkcs8, none))
    (d / "ca.cert.pem").write_bytes(cert.public_bytes(pem))
    _write_private(d / "sealmaker.key.pem", seal_key.private_bytes(pem, pkcs8, none))
    (d / "sealmaker.cert.pem").write_bytes(seal_cert.public_bytes(pem))
