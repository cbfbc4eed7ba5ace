"""The seal's content on the wire: ``SealSpec`` as the JSON body of the hub's ``POST /seals``.

The kiosk encodes (:func:`spec_to_wire`, ``kiosk.sync.hub_issuer``), the hub decodes
(:func:`spec_from_wire`, ``hub.seals``): one module, so the two ends cannot drift apart.
Bytes travel base64, times ISO-8601 UTC with ``Z``.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from kiosk.contracts.sealobj import SealSpec


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def spec_to_wire(spec: SealSpec) -> dict[str, Any]:
    """A ``SealSpec`` as the JSON ``POST /seals`` takes (bytes base64, times ISO UTC)."""
    return {
        "es_id": spec.es_id,
        "name": spec.name,
        "seal_type": spec.seal_type,
        "certs": [base64.b64encode(c).decode() for c in spec.certs],
        "valid_start": _iso(spec.valid_start),
        "valid_end": _iso(spec.valid_end),
        "picture": base64.b64encode(spec.picture).decode(),
        "width_mm": spec.width_mm,
        "height_mm": spec.height_mm,
        "picture_type": spec.picture_type,
        "created": _iso(spec.created),
        "vendor_id": spec.vendor_id,
    }


def spec_from_wire(body: object) -> SealSpec:
    """The inverse of :func:`spec_to_wire`.

    Raises:
        ValueError: not an object, or a field is missing or of the wrong type (the message says
            which; the hub answers it as ``hub.bad_seal``).
    """
    if not isinstance(body, dict):
        raise ValueError("spec must be an object")
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
        raise ValueError(f"seal spec is malformed: {e}") from e
