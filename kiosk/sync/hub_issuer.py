"""The keys area's ``CertificateIssuer`` port over the hub (``kiosk.keys.issuer``).

:class:`HubIssuer` certifies, revokes and makes seals through the hub's API, each call carrying
the keys area's request id, so a resend after a lost answer gets the hub's first answer (one
certificate, one seal). When the hub cannot be reached it raises ``HubUnavailable`` (a
``SyncError``): the visit flow then prepares the key offline and queues the request
(:func:`kiosk.sync.issuance.queue_request`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk.contracts.sealwire import spec_to_wire
from kiosk.sync.client import HubClient


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HubIssuer:
    """``CertificateIssuer`` (issue, revoke, make_seal, trusted_cas) over :class:`HubClient`.

    Args:
        client: the kiosk's hub client.
    """

    def __init__(self, client: HubClient):
        self.client = client

    def issue(
        self,
        csr_der: bytes,
        kind: str,
        subject: Any,
        not_before: dt.datetime,
        not_after: dt.datetime,
        *,
        request_id: str,
    ) -> bytes:
        """Certify the key in ``csr_der`` (``kind`` is the CA profile; ``subject`` a
        ``kiosk.contracts.subject.SubjectData`` or its dict); returns the certificate, DER.

        Raises:
            HubUnavailable: no answer (queue the request offline).
            HubRefused: the CA refused it (bad CSR, subject, validity).
        """
        data = subject.to_dict() if hasattr(subject, "to_dict") else dict(subject)
        answer = self.client.request_certificate(
            request_id,
            csr_der,
            str(kind),
            data,
            {"not_before": _iso(not_before), "not_after": _iso(not_after)},
        )
        cert = x509.load_pem_x509_certificate(answer["certificate_pem"].encode())
        return cert.public_bytes(serialization.Encoding.DER)

    def revoke(self, serial: int, reason: str, *, request_id: str) -> None:
        """Revoke through the hub (idempotent there: a repeat answers ``already_revoked``)."""
        self.client.revoke(format(serial, "x"), str(reason))

    def make_seal(self, spec: Any, *, request_id: str) -> bytes:
        """Have the hub's seal maker sign the seal (``kiosk.contracts.sealobj.SealSpec``); DER."""
        return self.client.make_seal(request_id, spec_to_wire(spec))

    def trusted_cas(self) -> list[bytes]:
        """The CA certificates (DER) holders and seal makers chain to."""
        return self.client.ca_certificates()
