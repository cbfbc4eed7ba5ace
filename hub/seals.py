"""Electronic seals made by the hub's seal maker (制章人), once per request id.

The kiosk sends the seal's content (``kiosk.contracts.sealobj.SealSpec`` in the wire format of
``kiosk.contracts.sealwire``); the hub checks that every certificate the seal binds was issued
here and is not revoked, builds and signs the SESeal with the CA's seal maker key, stores it under
the request id and answers it (a resend gets the stored seal, never a second one).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Protocol, runtime_checkable

from cryptography import x509

from hub.db import HubDB
from hub.issuing import STATION_CLASH, IssuanceError
from kiosk.contracts.sealobj import build_seal
from kiosk.contracts.sealwire import spec_from_wire
from kiosk.domain.clock import utc_now
from kiosk.errors import KioskError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seals (
    request_id TEXT PRIMARY KEY,
    kiosk TEXT NOT NULL,
    spec_digest TEXT NOT NULL,
    seal_b64 TEXT NOT NULL,
    made_at TEXT NOT NULL
)
"""


@runtime_checkable
class SealMaker(Protocol):
    """What a seal needs of the CA (``hub.ca.CertificateAuthority`` is one; a CA without a seal
    maker key is not, and the hub then answers 503)."""

    @property
    def seal_maker_alg(self) -> str:
        """The OID (dotted) of the seal maker's signature algorithm."""
        ...

    def seal_maker_der(self) -> bytes:
        """The seal maker's (制章人) certificate, DER."""
        ...

    def sign_as_seal_maker(self, data: bytes) -> bytes:
        """Sign ``data`` with the seal maker's key."""
        ...


def ensure_schema(db: HubDB) -> None:
    """Create the seals table (idempotent)."""
    with db.transaction() as tx:
        tx.execute(_SCHEMA)


def make(db: HubDB, ca: SealMaker, kiosk: str, body: Any) -> dict[str, Any]:
    """``POST /seals``: ``{"request_id", "spec"}`` -> ``{"request_id", "status", "seal"}``.

    Raises:
        IssuanceError: malformed request, a bound certificate the hub did not issue or has
            revoked, the request id reused for another seal, or the seal refused by the builder.
    """
    if not isinstance(body, dict) or not isinstance(body.get("request_id"), str):
        raise IssuanceError("body must be {request_id, spec}", code="hub.bad_request")
    request_id = body["request_id"]
    spec_json = json.dumps(body.get("spec"), sort_keys=True)
    digest = hashlib.sha256(spec_json.encode()).hexdigest()
    with db.transaction() as tx:
        row = tx.one(
            "SELECT kiosk, spec_digest, seal_b64 FROM seals WHERE request_id = ?", (request_id,)
        )
    if row is not None:
        if row[0] != kiosk or row[1] != digest:
            by = STATION_CLASH if row[0] != kiosk else ""
            raise IssuanceError(
                f"request id {request_id} was already used for another seal{by}",
                code="hub.request_id_reused",
            )
        return {"request_id": request_id, "status": "already_made", "seal": row[2]}
    try:
        spec = spec_from_wire(body.get("spec"))
    except ValueError as e:
        raise IssuanceError(str(e), code="hub.bad_seal") from e
    with db.transaction() as tx:
        for der in spec.certs:
            try:
                serial = format(x509.load_der_x509_certificate(der).serial_number, "x")
            except ValueError as e:
                raise IssuanceError(
                    f"a bound certificate does not parse: {e}", code="hub.bad_seal"
                ) from e
            found = tx.one("SELECT revoked_at FROM certificates WHERE serial = ?", (serial,))
            if found is None or found[0] is not None:
                raise IssuanceError(
                    f"certificate {serial} was not issued here or is revoked: no seal for it",
                    code="hub.seal_cert_unknown",
                )
    try:
        seal = build_seal(spec, ca.seal_maker_der(), ca.seal_maker_alg, ca.sign_as_seal_maker)
    except KioskError as e:
        raise IssuanceError(f"the seal was refused: {e}", code="hub.seal_refused") from e
    b64 = base64.b64encode(seal).decode()
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO seals (request_id, kiosk, spec_digest, seal_b64, made_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
            (
                request_id,
                kiosk,
                digest,
                b64,
                utc_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )
        stored = tx.one("SELECT seal_b64 FROM seals WHERE request_id = ?", (request_id,))
    return {"request_id": request_id, "status": "made", "seal": stored[0] if stored else b64}
