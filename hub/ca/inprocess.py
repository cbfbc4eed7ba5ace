"""The issuing CA in this process, as the kiosk's certificate issuer (tests and the bench).

The kiosk talks to the CA through the hub (``kiosk.sync.hub_issuer.HubIssuer``); a test or a
benchmark of the key side alone calls the CA here instead. :class:`InProcessIssuer` has the four
methods of ``kiosk.keys.issuer.CertificateIssuer`` (a structural match: the hub does not import
the kiosk's areas).
"""

from __future__ import annotations

import datetime as dt

from hub.ca.authority import CertificateAuthority
from kiosk.contracts.sealobj import SealSpec, build_seal
from kiosk.contracts.subject import SubjectData


class InProcessIssuer:
    """The CA called directly: the kiosk's ``CertificateIssuer`` port (structurally) without a hub
    process, for tests and the bench."""

    def __init__(self, ca: CertificateAuthority):
        self.ca = ca
        self._answers: dict[str, bytes] = {}

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
        """Certify through the CA; a repeated request id gets the first certificate again."""
        if request_id not in self._answers:
            self._answers[request_id] = self.ca.issue_from_csr(
                csr_der, kind, subject, not_before, not_after
            )
        return self._answers[request_id]

    def revoke(self, serial: int, reason: str, *, request_id: str) -> None:
        """Revoke through the CA (idempotent there)."""
        self.ca.revoke(serial, reason)

    def make_seal(self, spec: SealSpec, *, request_id: str) -> bytes:
        """Sign the seal with the CA's seal maker key."""
        return bytes(
            build_seal(
                spec, self.ca.seal_maker_der(), self.ca.seal_maker_alg, self.ca.sign_as_seal_maker
            )
        )

    def trusted_cas(self) -> list[bytes]:
        """The CA's own certificate."""
        return [self.ca.ca_der()]
