"""The hub's side of certificate issuance: a small adapter over the issuing CA (``hub/ca``).

The CA itself (keys, profiles per certificate kind, serials, CRL signing) is built in the keys
issue. The hub needs three things from it, named by :class:`CertificateAuthority`; anything that
has them (the real ``hub.ca`` object, or a throwaway CA a test builds with ``cryptography``)
plugs in. This module turns the hub's wire inputs into the CA's arguments and its answers into
PEM and serial strings, and keeps issuance idempotent per request id in the hub's database.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hub.db import HubDB
from kiosk.domain.clock import utc_now
from kiosk.errors import KioskError

#: Said when a request id (order number based) comes from a second kiosk: a configuration fault.
STATION_CLASH = (
    " by another kiosk: two kiosks make the same order numbers; give each kiosk of the counter"
    " its own [counter] station"
)


class IssuanceError(KioskError):
    """A certificate request or revocation the hub refuses (bad CSR, unknown profile, …)."""

    title = "Certificate issuance"
    code = "hub.issuance"


@runtime_checkable
class CertificateAuthority(Protocol):
    """What the hub needs from the issuing CA (``hub.ca.CertificateAuthority``, keys issue)."""

    def issue_from_csr(
        self,
        csr_der: bytes,
        profile: str,
        subject_data: dict[str, str],
        not_before: datetime,
        not_after: datetime,
    ) -> Any:
        """Issue a certificate; returns its DER bytes (or an ``x509.Certificate``).

        ``profile`` is the certificate kind (``org``, ``legal-rep``, ``individual``);
        ``subject_data`` the holder's data (``unit_name``, ``uscc``, ``person_name``,
        ``province``, ``locality``), from which the CA's profile builds the subject. Raises a
        ``KioskError`` (``hub.ca.CaError``) or ``ValueError`` for what it refuses.
        """

    def revoke(self, serial: int, reason: str) -> None:
        """Record the certificate as revoked for the next CRL (RFC 5280 reason name:
        ``keyCompromise``, ``superseded``...); a ``KioskError`` for what it refuses."""

    def crl(self) -> Any:
        """The current CRL: DER bytes (or an ``x509.CertificateRevocationList``)."""


@dataclass(frozen=True)
class Issued:
    """A certificate the hub issued (or had issued already for the same request id)."""

    request_id: str
    serial: str
    certificate_pem: str
    not_before: str
    not_after: str
    already: bool

    def wire(self) -> dict[str, Any]:
        """The JSON answer of ``POST /v1/certificates``."""
        return {
            "request_id": self.request_id,
            "status": "already_issued" if self.already else "issued",
            "serial": self.serial,
            "certificate_pem": self.certificate_pem,
            "not_before": self.not_before,
            "not_after": self.not_after,
        }


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise IssuanceError(f"{field} must be a UTC time string", code="hub.bad_validity")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise IssuanceError(f"{field} {value!r} is not ISO-8601", code="hub.bad_validity") from e
    if dt.tzinfo is None:
        raise IssuanceError(f"{field} must carry a time zone (Z)", code="hub.bad_validity")
    return dt


def subject_data(subject: Any) -> dict[str, str]:
    """Check the wire's subject data: a small object of short strings. The CA's profile turns
    it into a name and refuses what it cannot use.

    Raises:
        IssuanceError: not an object of short strings.
    """
    if not isinstance(subject, dict) or not subject or len(subject) > 16:
        raise IssuanceError("subject must be a non-empty object", code="hub.bad_subject")
    for key, value in subject.items():
        if not isinstance(value, str) or len(value) > 200 or len(key) > 40:
            raise IssuanceError(f"subject {key} must be a short string", code="hub.bad_subject")
    return dict(subject)


def validity_window(validity: Any, now: datetime) -> tuple[datetime, datetime]:
    """``{"years": N}`` from now (hub time), or explicit ``{"not_before", "not_after"}``."""
    if not isinstance(validity, dict):
        raise IssuanceError("validity must be an object", code="hub.bad_validity")
    if "years" in validity:
        years = validity["years"]
        if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 5:
            raise IssuanceError("validity years must be 1 to 5", code="hub.bad_validity")
        start = now.replace(microsecond=0)
        try:
            end = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + years, day=28)
        return start, end
    start = _parse_time(validity.get("not_before"), "not_before")
    end = _parse_time(validity.get("not_after"), "not_after")
    if end <= start or end - start > timedelta(days=5 * 366 + 1):
        raise IssuanceError("validity window is empty or over 5 years", code="hub.bad_validity")
    return start, end


def decode_csr(csr_b64: Any) -> tuple[bytes, x509.CertificateSigningRequest]:
    """Decode and check a base64 DER CSR (signature verified).

    Raises:
        IssuanceError: not base64, not a CSR, or its signature does not verify.
    """
    if not isinstance(csr_b64, str):
        raise IssuanceError("csr must be base64 DER text", code="hub.bad_csr")
    try:
        der = base64.b64decode(csr_b64, validate=True)
        csr = x509.load_der_x509_csr(der)
    except ValueError as e:
        raise IssuanceError(f"csr is not a DER certificate request: {e}", code="hub.bad_csr") from e
    if not csr.is_signature_valid:
        raise IssuanceError("csr signature does not verify", code="hub.bad_csr")
    return der, csr


def _to_pem(cert: Any) -> tuple[str, int, datetime, datetime]:
    if isinstance(cert, bytes | bytearray):
        cert = x509.load_der_x509_certificate(bytes(cert))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return pem, cert.serial_number, cert.not_valid_before_utc, cert.not_valid_after_utc


def issue(
    db: HubDB, ca: CertificateAuthority, kiosk: str, body: Any, now: datetime | None = None
) -> Issued:
    """Issue a certificate for ``POST /v1/certificates``, once per request id.

    A request id the hub has seen answers the stored certificate (the kiosk resends after a lost
    answer); the same id with a different CSR is refused.

    Raises:
        IssuanceError: malformed request, CSR, subject or validity, or the CA refused it.
    """
    if not isinstance(body, dict):
        raise IssuanceError("request body must be a JSON object", code="hub.bad_request")
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not 8 <= len(request_id) <= 64:
        raise IssuanceError(
            "request_id must be a string of 8-64 characters", code="hub.bad_request"
        )
    der, _csr = decode_csr(body.get("csr"))
    digest = hashlib.sha256(der).hexdigest()
    with db.transaction() as tx:
        row = tx.one(
            "SELECT kiosk, csr_digest, serial, certificate_pem, not_before, not_after "
            "FROM certificates WHERE request_id = ?",
            (request_id,),
        )
    if row is not None:
        return _existing(request_id, kiosk, digest, row)
    profile = body.get("profile")
    if not isinstance(profile, str) or not profile:
        raise IssuanceError("profile must name a certificate profile", code="hub.bad_request")
    subject = subject_data(body.get("subject"))
    start, end = validity_window(body.get("validity"), now or utc_now())
    try:
        cert = ca.issue_from_csr(der, profile, subject, start, end)
    except (KioskError, ValueError) as e:
        raise IssuanceError(f"the CA refused the request: {e}", code="hub.ca_refused") from e
    pem, serial, nb, na = _to_pem(cert)
    serial_hex = format(serial, "x")
    with db.transaction() as tx:
        inserted = tx.execute(
            "INSERT INTO certificates (request_id, kiosk, serial, profile, subject, csr_digest, "
            "certificate_pem, not_before, not_after, issued_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
            (
                request_id,
                kiosk,
                serial_hex,
                profile,
                json.dumps(body["subject"], ensure_ascii=False, sort_keys=True),
                digest,
                pem,
                _iso(nb),
                _iso(na),
                _iso(utc_now()),
            ),
        )
        if not inserted:
            row = tx.one(
                "SELECT kiosk, csr_digest, serial, certificate_pem, not_before, not_after "
                "FROM certificates WHERE request_id = ?",
                (request_id,),
            )
    if not inserted:
        # Two sends of one request raced; the first one's certificate stands, ours is withdrawn.
        ca.revoke(serial, "superseded")
        assert row is not None
        return _existing(request_id, kiosk, digest, row)
    return Issued(request_id, serial_hex, pem, _iso(nb), _iso(na), already=False)


def _existing(request_id: str, kiosk: str, digest: str, row: tuple[Any, ...]) -> Issued:
    owner, stored_digest, serial, pem, nb, na = row
    if owner != kiosk or stored_digest != digest:
        by = STATION_CLASH if owner != kiosk else ""
        raise IssuanceError(
            f"request id {request_id} was already used for another certificate request{by}",
            code="hub.request_id_reused",
        )
    return Issued(request_id, serial, pem, nb, na, already=True)


def revoke(db: HubDB, ca: CertificateAuthority, serial_hex: str, body: Any) -> dict[str, Any]:
    """Revoke a certificate the hub issued, for ``POST /v1/certificates/{serial}/revoke``.

    Raises:
        IssuanceError: unknown serial or reason.
    """
    reason = (body or {}).get("reason", "unspecified") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason or len(reason) > 40:
        raise IssuanceError("reason must be an RFC 5280 reason name", code="hub.bad_reason")
    serial_hex = serial_hex.lower().lstrip("0") or "0"
    with db.transaction() as tx:
        row = tx.one("SELECT revoked_at FROM certificates WHERE serial = ?", (serial_hex,))
        if row is None:
            raise IssuanceError(
                f"no certificate with serial {serial_hex}", code="hub.unknown_serial"
            )
        if row[0] is not None:
            return {"serial": serial_hex, "status": "already_revoked", "revoked_at": row[0]}
        # The CA records it before the hub does: a crash between the two leaves the hub
        # saying "not revoked" and the next call revoking again (the CA keeps its first
        # answer), never the other way round. The CA judges the reason name.
        try:
            ca.revoke(int(serial_hex, 16), reason)
        except (KioskError, ValueError) as e:
            raise IssuanceError(f"the CA refused: {e}", code="hub.ca_refused") from e
        stamp = _iso(utc_now())
        tx.execute(
            "UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ?",
            (stamp, reason, serial_hex),
        )
    return {"serial": serial_hex, "status": "revoked", "revoked_at": stamp}


def crl_der(ca: CertificateAuthority) -> bytes:
    """The CA's current CRL as DER."""
    crl = ca.crl()
    if isinstance(crl, bytes | bytearray):
        return bytes(crl)
    der: bytes = crl.public_bytes(serialization.Encoding.DER)
    return der
