"""The certificate issuer a visit uses: the hub (HubIssuer), falling back to the offline queue.

When the hub cannot be reached at the certify step, the request (CSR made on the key) is queued
with ``kiosk.sync.issuance.queue_request`` under the key job's own request id, and the visit
stops at its key step (``visit.offline_queued``): the key stays at the counter. The sync worker
later gets the certificate (``complete_waiting``); a pickup visit then resumes the key job, whose
certify step now finds the certificate waiting here instead of asking the hub again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kiosk.errors import VisitError
from kiosk.sync import issuance
from kiosk.sync.client import HubUnavailable


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OfflineQueued(VisitError):
    """The hub was unreachable: the key is prepared and its certificate requested offline."""

    code = "visit.offline_queued"


class FallbackIssuer:
    """A ``CertificateIssuer``: ``hub`` first, the offline queue in ``db`` when it is down."""

    def __init__(self, hub: Any, db: Any):
        self.hub = hub
        self.db = db

    def _row(self, request_id: str) -> tuple[str, bytes | None] | None:
        r = (
            issuance._conn(self.db)
            .execute(
                "SELECT state, cert_der FROM cert_requests WHERE request_id = ?", (request_id,)
            )
            .fetchone()
        )
        return None if r is None else (r[0], r[1])

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
        row = self._row(request_id)
        if row is not None:
            state, der = row
            if der is not None and state in ("ready", "installed", "handed_over"):
                if state == "ready":
                    issuance.mark_installed(self.db, request_id)
                return der
            raise OfflineQueued(
                "the certificate was requested while the back office was unreachable and has "
                "not arrived yet; keep the key at the counter (kiosk sync status)",
            )
        try:
            return bytes(
                self.hub.issue(csr_der, kind, subject, not_before, not_after, request_id=request_id)
            )
        except HubUnavailable as e:
            order_no = request_id.split(":", 1)[0]
            v = (
                issuance._conn(self.db)
                .execute("SELECT agent_id_number FROM visits WHERE order_no = ?", (order_no,))
                .fetchone()
            )
            data = subject.to_dict() if hasattr(subject, "to_dict") else dict(subject)
            issuance.queue_request(
                self.db,
                order_no=order_no,
                csr_der=csr_der,
                profile=str(kind),
                subject=data,
                validity={"not_before": _iso(not_before), "not_after": _iso(not_after)},
                agent_id_number=(v[0] if v and v[0] else ""),
                visit_id=order_no,
                request_id=request_id,
            )
            raise OfflineQueued(
                f"the back office cannot be reached ({e.message}): the key is prepared and its "
                "certificate requested; the agent collects it with a pickup visit (领取) once "
                "it has arrived",
            ) from e

    def revoke(self, serial: int, reason: str, *, request_id: str) -> None:
        self.hub.revoke(serial, reason, request_id=request_id)

    def make_seal(self, spec: Any, *, request_id: str) -> bytes:
        return bytes(self.hub.make_seal(spec, request_id=request_id))

    def trusted_cas(self) -> list[bytes]:
        return list(self.hub.trusted_cas())


def waiting_request(db: Any, order_no: str) -> dict[str, Any] | None:
    """The offline request of an order (newest), or None."""
    cur = issuance._conn(db).execute(
        "SELECT request_id, state, agent_id_digest FROM cert_requests WHERE order_no = ? "
        "ORDER BY created_at DESC LIMIT 1",
        (order_no,),
    )
    r = cur.fetchone()
    return None if r is None else {"request_id": r[0], "state": r[1], "agent_digest": r[2]}
