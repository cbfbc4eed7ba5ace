"""Who certifies a key: the ``CertificateIssuer`` port (and the ``KeyEscrow`` port of the KMC).

The kiosk calls the port; the hub client (``kiosk.sync.hub_issuer.HubIssuer``) implements it
over HTTP, and tests and the bench call the hub's CA in this process
(``hub.ca.inprocess.InProcessIssuer``). Each call
carries a ``request_id`` (order number and step) so the hub can answer a repeat with the first
answer instead of certifying twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kiosk.contracts.sealobj import SealSpec
from kiosk.contracts.subject import SubjectData


@runtime_checkable
class CertificateIssuer(Protocol):
    """What the kiosk needs from a CA."""

    def issue(
        self,
        csr_der: bytes,
        kind: str,
        subject: SubjectData,
        not_before: dt.datetime,
        not_after: dt.datetime,
        *,
        request_id: str,
    ) -> bytes:
        """Certify the key in ``csr_der``; returns the certificate (DER)."""
        ...

    def revoke(self, serial: int, reason: str, *, request_id: str) -> None:
        """Revoke a certificate (RFC 5280 reason name)."""
        ...

    def make_seal(self, spec: SealSpec, *, request_id: str) -> bytes:
        """Build and sign a SESeal with the seal maker's key; returns its DER."""
        ...

    def trusted_cas(self) -> list[bytes]:
        """CA certificates (DER) that seal makers and holders chain to."""
        ...


@dataclass(frozen=True)
class EscrowedKey:
    """An encryption key pair from the key management centre, as it crosses the wire: the
    private key wrapped (AES key wrap with padding) under a one-time key that is itself wrapped
    (RSA-OAEP-SHA1) for the transport key made on the USB key; never in clear."""

    encryption_serial: str
    cert_der: bytes = field(repr=False)
    wrapped_kek: bytes = field(repr=False)
    wrapped_key: bytes = field(repr=False)


@runtime_checkable
class KeyEscrow(Protocol):
    """The key management centre (KMC) the kiosk asks for encryption key pairs (双证书)."""

    def escrow(
        self,
        signing_serial: str,
        transport_spki: bytes,
        *,
        request_id: str,
        order_no: str,
        holder_digest: str | None = None,
    ) -> EscrowedKey:
        """A new encryption key pair for the holder of ``signing_serial`` (made and escrowed
        there), wrapped for ``transport_spki``; the same key again for a repeated request id.
        ``holder_digest``: the ID digest of an individual certificate's holder (the KMC
        recognises the person by it; the certificate names only the person)."""
        ...

    def recertify(
        self,
        signing_serial: str,
        encryption_serial: str,
        *,
        request_id: str,
        order_no: str,
        agent_digest: str | None = None,
    ) -> bytes:
        """A new encryption certificate (DER) for the escrowed key ``encryption_serial``, with
        the subject and validity of the renewed or changed signing certificate
        ``signing_serial``; the same certificate again for a repeated request id."""
        ...

    def recover(
        self,
        signing_serial: str,
        encryption_serial: str,
        transport_spki: bytes,
        *,
        request_id: str,
        order_no: str,
        agent_digest: str,
    ) -> EscrowedKey:
        """The escrowed key ``encryption_serial`` back, wrapped for ``transport_spki``."""
        ...
