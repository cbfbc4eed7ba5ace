"""Electronic seals made by the hub's seal maker (制章人), once per request id.

The kiosk sends the seal's content (``kiosk.contracts.sealobj.SealSpec`` as JSON); the hub
checks that
every certificate the seal binds was issued here and is not revoked, builds and signs the
SESeal with the CA's seal maker key, stores it under the request id and answers it (a resend
gets the stored seal, never a second one).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cryptography import x509

from hub.db import HubDB
from hub.issuing import STATION_CLASH, IssuanceError
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.contracts.sealobj import SealSpec

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


def spec_to_wire(spec: SealSpec) -> dict[str, Any]:
    """A ``SealSpec`` as the JSON ``POST /seals`` takes (bytes base64, times ISO UTC)."""

    def iso(t: dt.datetime | None) -> str | None:
        return None if t is None else t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "es_id": spec.es_id,
        "name": spec.name,
        "seal_type": spec.seal_type,
        "certs": [base64.b64encode(c).decode() for c in spec.certs],
        "valid_start": iso(spec.valid_start),
        "valid_end": iso(spec.valid_end),
        "picture": base64.b64encode(spec.picture).decode(),
        "width_mm": spec.width_mm,
        "height_mm": spec.height_mm,
        "picture_type": spec.picture_type,
        "created": iso(spec.created),
        "vendor_id": spec.vendor_id,
    }


def spec_from_wire(body: Any) -> SealSpec:
    """The inverse of :func:`spec_to_wire`.

    Raises:
        IssuanceError: a field is missing or of the wrong type.
    """
    from kiosk.contracts.sealobj import SealSpec

    if not isinstance(body, dict):
        raise IssuanceError("spec must be an object", code="hub.bad_seal")
    try:

        def when(key: str) -> dt.datetime | None:
            v = body.get(key)
            return None if v is None else dt.datetime.fromisoformat(v.replace("Z", "+00:00"))

        start, end = when("valid_start"), when("valid_end")
        if start is None or end is None:
            raise ValueError("valid_start and valid_end are required")
        return SealSpec(
            es_id=str(body["es_id"]),
            name=str(body["name"]),
            seal_type=int(body["seal_type"]),
            certs=tuple(base64.b64decode(c, validate=True) for c in body["certs"]),
            valid_start=start,
            valid_end=end,
            picture=base64.b64decode(body["picture"], validate=True),
            width_mm=int(body["width_mm"]),
            height_mm=int(body["height_mm"]),
            picture_type=str(body.get("picture_type", "PNG")),
            created=when("created"),
            vendor_id=str(body.get("vendor_id", "NETCA-KIOSK")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise IssuanceError(f"seal spec is malformed: {e}", code="hub.bad_seal") from e


def make(db: HubDB, ca: SealMaker, kiosk: str, body: Any) -> dict[str, Any]:
    """``POST /seals``: ``{"request_id", "spec"}`` -> ``{"request_id", "status", "seal"}``.

    Raises:
        IssuanceError: malformed request, a bound certificate the hub did not issue or has
            revoked, the request id reused for another seal, or the seal refused by the builder.
    """
    from kiosk.contracts.sealobj import build_seal

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
    spec = spec_from_wire(body.get("spec"))
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
                dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )
        stored = tx.one("SELECT seal_b64 FROM seals WHERE request_id = ?", (request_id,))
    return {"request_id": request_id, "status": "made", "seal": stored[0] if stored else b64}
