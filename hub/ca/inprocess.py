"""The issuing CA called in-process through the kiosk's ``CertificateIssuer`` port.

Tests, the benchmark and the training rig certify keys without a running hub: this adapter
answers the four methods of ``kiosk.keys.issuer.CertificateIssuer`` (structurally: the hub
imports nothing of the keys area) from a :class:`~hub.ca.authority.CertificateAuthority` in
this process.
"""

from __future__ import annotations

import datetime as dt

from hub.ca.authority import CertificateAuthority
from kiosk.contracts.sealobj import SealSpec, build_seal
from kiosk.contracts.subject import SubjectData


class InProcessIssuer:
    """The ``hub.ca`` CA called directly (tests, training mode, a kiosk with its own CA)."""

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
        return build_seal(
            spec, self.ca.seal_maker_der(), self.ca.seal_maker_alg, self.ca.sign_as_seal_maker
        )

    def trusted_cas(self) -> list[bytes]:
        """The CA's own certificate."""
        return [self.ca.ca_der()]
