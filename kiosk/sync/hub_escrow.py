"""The keys area's ``KeyEscrow`` port over the hub's key management centre (``hub.kmc``).

Each call carries the key job's request id, so a resend after a lost answer gets the same
escrowed key (re-wrapped for the transport key it brings), never a second key pair.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk.keys.issuer import EscrowedKey
from kiosk.sync.client import HubClient, HubUnavailable

#: The only wrapping the kiosk unwraps (``hub.kmc.WRAP_SCHEME``).
WRAP_SCHEME = "rsa-oaep-sha1/aes-kwp"


def _answer(data: dict[str, Any]) -> EscrowedKey:
    if data.get("wrap") != WRAP_SCHEME:
        raise HubUnavailable(
            f"the KMC wrapped the key as {data.get('wrap')!r}; this kiosk unwraps {WRAP_SCHEME}",
            code="sync.bad_answer",
        )
    try:
        cert = x509.load_pem_x509_certificate(str(data["certificate_pem"]).encode())
        return EscrowedKey(
            encryption_serial=str(data["encryption_serial"]),
            cert_der=cert.public_bytes(serialization.Encoding.DER),
            wrapped_kek=base64.b64decode(data["wrapped_kek"], validate=True),
            wrapped_key=base64.b64decode(data["wrapped_key"], validate=True),
        )
    except (KeyError, ValueError, TypeError) as e:
        raise HubUnavailable(
            f"the KMC's answer is not the API's shape: {e}", code="sync.bad_answer"
        ) from e


class HubEscrow:
    """``KeyEscrow`` (escrow, recover) over :class:`HubClient`.

    Args:
        client: the kiosk's hub client.
    """

    def __init__(self, client: HubClient):
        self.client = client

    def escrow(
        self, signing_serial: str, transport_spki: bytes, *, request_id: str, order_no: str
    ) -> EscrowedKey:
        """``POST /kmc/escrow``.

        Raises:
            HubUnavailable: no answer / no KMC (the key step fails and stays resumable).
            HubRefused: the KMC refused (unknown or revoked signing certificate).
        """
        return _answer(
            self.client.kmc(
                "escrow",
                {
                    "request_id": request_id,
                    "signing_serial": signing_serial,
                    "transport_key": base64.b64encode(transport_spki).decode(),
                    "order_no": order_no,
                },
            )
        )

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
        """``POST /kmc/recover``.

        Raises:
            HubRefused: ``kmc.cert_revoked``, ``kmc.cert_expired``, ``kmc.unknown_key``,
                ``kmc.other_holder``.
        """
        return _answer(
            self.client.kmc(
                "recover",
                {
                    "request_id": request_id,
                    "signing_serial": signing_serial,
                    "encryption_serial": encryption_serial,
                    "transport_key": base64.b64encode(transport_spki).decode(),
                    "order_no": order_no,
                    "agent_digest": agent_digest,
                },
            )
        )
