"""The kiosk's HTTP client for the hub (httpx), with every failure turned into a ``SyncError``.

An answer is believed only when it is the JSON shape the API promises: an HTML error page from a
proxy, garbage, a cut connection or a timeout all become :class:`HubUnavailable`, which the worker
treats as "the hub did not answer" (nothing is marked sent; back off and resend). A 401 is
:class:`HubUnauthorized` (the credential is wrong: resending will not help, staff must act).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from data.outbox import OutboxEvent
from kiosk.domain.payment import PROVIDER_METHODS
from kiosk.errors import SyncError

#: Where the hub serves its API; a base URL without it (``http://host:port``) gets it appended.
API_ROOT = "/api/v1"


class HubUnavailable(SyncError):
    """The hub cannot be reached, timed out, or answered something that is not the API."""

    code = "sync.unavailable"


class HubUnauthorized(SyncError):
    """The hub refused this kiosk's credential (401)."""

    code = "sync.unauthorized"


class HubRefused(SyncError):
    """The hub understood a request and refused it (4xx with an error body)."""

    code = "sync.refused"


@dataclass(frozen=True, slots=True)
class EventResult:
    """The hub's answer for one event."""

    event_id: str
    status: str  # "stored" | "duplicate" | "rejected"
    reason: str | None = None


class HubClient:
    """A kiosk's connection to the hub.

    Args:
        base_url: the hub's API root, e.g. ``http://127.0.0.1:8800/api/v1`` (kiosk.toml
            ``[hub] url``); a bare ``http://host:port`` gets ``/api/v1`` appended.
        credential: ``NAME:SECRET`` from ``kiosk hub enrol-kiosk NAME``.
        timeout: seconds for connect and for each read; a slow hub fails the call rather than
            freezing the caller.
        transport: an httpx transport (tests may pass one; default real sockets).
    """

    def __init__(
        self,
        base_url: str,
        credential: str | None,
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ):
        base_url = base_url.rstrip("/")
        if not base_url.endswith(API_ROOT):
            base_url += API_ROOT
        self.base_url = base_url
        headers = {"User-Agent": "netca-kiosk-sync/1"}
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            transport=transport,
            # A dead keep-alive connection after a hub restart must not look like an outage.
            limits=httpx.Limits(max_keepalive_connections=2, keepalive_expiry=5.0),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            return self._http.request(method, self.base_url + path, **kw)
        except httpx.TimeoutException as e:
            raise HubUnavailable(
                f"the hub at {self.base_url} did not answer in time ({type(e).__name__})",
                code="sync.timeout",
            ) from e
        except httpx.HTTPError as e:
            raise HubUnavailable(
                f"the hub at {self.base_url} cannot be reached: {type(e).__name__}: {e}"
            ) from e

    def _json(self, resp: httpx.Response, expect: tuple[str, ...]) -> dict[str, Any]:
        if resp.status_code == 401:
            raise HubUnauthorized(
                "the hub refused this kiosk's credential; enrol it again (kiosk hub enrol-kiosk) "
                "and update kiosk.toml [hub] credential"
            )
        ctype = resp.headers.get("content-type", "")
        try:
            body = resp.json() if "json" in ctype else None
        except (ValueError, UnicodeDecodeError):
            body = None
        if (
            400 <= resp.status_code < 500
            and resp.status_code not in (408, 429)
            and (isinstance(body, dict) and isinstance(body.get("error"), dict))
        ):
            err = body["error"]
            raise HubRefused(
                str(err.get("message", "refused")), code=str(err.get("code", "")) or None
            )
        if (
            resp.status_code != 200
            or not isinstance(body, dict)
            or not all(k in body for k in expect)
        ):
            snippet = resp.text[:80].replace("\n", " ") if resp.content else ""
            raise HubUnavailable(
                f"the hub answered HTTP {resp.status_code} that is not its API ({snippet!r})",
                code="sync.bad_answer",
            )
        return body

    # -- the API ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``GET /api/v1/health``: ``{"status", "time", "api"}``; raises HubUnavailable if down."""
        return self._json(self._request("GET", "/health"), ("status", "time"))

    def send_events(self, events: list[dict[str, Any]]) -> list[EventResult]:
        """``POST /api/v1/events``: the hub's answer per event, in order.

        Raises:
            HubUnavailable: no usable answer (then nothing may be assumed about storage).
            HubUnauthorized: the credential is refused.
        """
        body = json.dumps({"events": events}, ensure_ascii=False, separators=(",", ":"))
        return self._post_events(body.encode(), [e["event_id"] for e in events])

    def send_outbox(self, batch: Sequence[OutboxEvent]) -> list[EventResult]:
        """Like :meth:`send_events` for outbox rows, splicing their stored payload JSON into the
        body as is (no parse and re-dump: the outbox wrote it as JSON)."""
        dumps = json.dumps
        parts = [
            f'{{"event_id":{dumps(e.event_id)},"visit_id":{dumps(e.visit_id)},'
            f'"kind":{dumps(e.kind)},"payload":{e.payload},"created_at":{dumps(e.created_at)}}}'
            for e in batch
        ]
        body = '{"events":[' + ",".join(parts) + "]}"
        return self._post_events(body.encode(), [e.event_id for e in batch])

    def _post_events(self, body: bytes, ids: list[str]) -> list[EventResult]:
        resp = self._request(
            "POST", "/events", content=body, headers={"Content-Type": "application/json"}
        )
        data = self._json(resp, ("results",))
        results = data["results"]
        if not isinstance(results, list) or len(results) != len(ids):
            raise HubUnavailable(
                "the hub's answer does not match the batch", code="sync.bad_answer"
            )
        out = []
        for sent_id, res in zip(ids, results, strict=True):
            if (
                not isinstance(res, dict)
                or res.get("event_id") != sent_id
                or res.get("status") not in ("stored", "duplicate", "rejected")
            ):
                raise HubUnavailable(
                    "the hub's answer does not match the batch", code="sync.bad_answer"
                )
            out.append(EventResult(sent_id, res["status"], res.get("reason")))
        return out

    def request_certificate(
        self,
        request_id: str,
        csr_der: bytes,
        profile: str,
        subject: dict[str, str],
        validity: dict[str, Any],
    ) -> dict[str, Any]:
        """``POST /api/v1/certificates``; idempotent per ``request_id``.

        Returns:
            ``{"request_id", "status", "serial", "certificate_pem", "not_before", "not_after"}``.

        Raises:
            HubRefused: the hub refused the request (bad CSR, profile, subject...).
            HubUnavailable: no usable answer (resend later with the same request id).
        """
        resp = self._request(
            "POST",
            "/certificates",
            json={
                "request_id": request_id,
                "csr": base64.b64encode(csr_der).decode(),
                "profile": profile,
                "subject": subject,
                "validity": validity,
            },
        )
        if resp.status_code == 503:
            raise HubUnavailable("the hub has no issuing CA at the moment", code="sync.no_ca")
        return self._json(resp, ("serial", "certificate_pem"))

    def revoke(self, serial_hex: str, reason: str = "unspecified") -> dict[str, Any]:
        """``POST /api/v1/certificates/{serial}/revoke``."""
        resp = self._request("POST", f"/certificates/{serial_hex}/revoke", json={"reason": reason})
        return self._json(resp, ("serial", "status"))

    def make_seal(self, request_id: str, spec: dict[str, Any]) -> bytes:
        """``POST /seals``: the hub's seal maker signs the seal (idempotent per request id).

        Args:
            request_id: the step's idempotency key.
            spec: ``kiosk.contracts.sealwire.spec_to_wire(SealSpec)``.

        Returns:
            The SESeal, DER.
        """
        resp = self._request("POST", "/seals", json={"request_id": request_id, "spec": spec})
        if resp.status_code == 503:
            raise HubUnavailable("the hub has no seal maker at the moment", code="sync.no_ca")
        data = self._json(resp, ("seal",))
        try:
            return base64.b64decode(data["seal"], validate=True)
        except (ValueError, TypeError) as e:
            raise HubUnavailable("the hub's seal is not base64", code="sync.bad_answer") from e

    def kmc(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /kmc/escrow``, ``/kmc/recover`` or ``/kmc/recertify``: the KMC's answer
        (``{"request_id", "status", "encryption_serial", "certificate_pem", "wrap",
        "wrapped_kek", "wrapped_key"}``; the key itself only ever wrapped).

        Raises:
            HubUnavailable: no usable answer, or the hub has no KMC (503, ``sync.no_kmc``).
            HubRefused: the KMC refused (``kmc.cert_revoked``, ``kmc.unknown_key``, ...).
            HubUnauthorized: the credential is refused.
        """
        resp = self._request("POST", f"/kmc/{action}", json=body)
        if resp.status_code == 503:
            raise HubUnavailable(
                "the hub has no key management centre (KMC) for key escrow", code="sync.no_kmc"
            )
        if action == "recertify":
            return self._json(resp, ("encryption_serial", "certificate_pem"))
        return self._json(resp, ("encryption_serial", "certificate_pem", "wrapped_kek"))

    def kmc_status(self) -> dict[str, Any]:
        """``GET /kmc/status``: ``{"status", "escrowed", "master_key", "wrap", "ca"}``.

        Raises:
            HubUnavailable: ``sync.no_kmc`` (503: the hub runs without a KMC), or no answer.
            HubUnauthorized: the credential is refused.
        """
        resp = self._request("GET", "/kmc/status")
        if resp.status_code == 503:
            raise HubUnavailable(
                "the hub has no key management centre (KMC): key escrow and key recovery "
                "cannot work (start the hub with --kmc-dir)",
                code="sync.no_kmc",
            )
        return self._json(resp, ("status", "master_key"))

    def ca_certificates(self) -> list[bytes]:
        """``GET /ca``: the CA certificates (DER) holders and seal makers chain to."""
        resp = self._request("GET", "/ca")
        if resp.status_code == 503:
            raise HubUnavailable("the hub has no issuing CA at the moment", code="sync.no_ca")
        data = self._json(resp, ("certificates",))
        try:
            return [base64.b64decode(c, validate=True) for c in data["certificates"]]
        except (ValueError, TypeError) as e:
            raise HubUnavailable("the hub's CA list is not base64", code="sync.bad_answer") from e

    def crl(self) -> bytes:
        """``GET /api/v1/crl``: the CRL as DER."""
        resp = self._request("GET", "/crl")
        if resp.status_code != 200 or "pkix-crl" not in resp.headers.get("content-type", ""):
            raise HubUnavailable(
                f"no CRL from the hub (HTTP {resp.status_code})", code="sync.bad_answer"
            )
        return resp.content

    def config(self, etag: str | None = None) -> tuple[str | None, dict[str, Any] | None]:
        """``GET /config``: (etag, documents), or (etag, None) when unchanged since ``etag``."""
        headers = {"If-None-Match": etag} if etag else {}
        resp = self._request("GET", "/config", headers=headers)
        if resp.status_code == 304:
            return etag, None
        data = self._json(resp, ("version", "documents"))
        return resp.headers.get("etag"), data["documents"]

    def payment_bill(self, day: date) -> dict[str, int]:
        """``GET /payments/bill?date=``: this kiosk's WeChat Pay / Alipay net totals for ``day``.

        The provider's bill as the hub reads it (``hub.payments.bill``: successes on the local
        day minus refunds made on it, in fen).

        Returns:
            ``{"wechat": net_fen, "alipay": net_fen}``.

        Raises:
            HubUnavailable: the hub, or its payment provider, cannot answer (type the figures).
            HubRefused: the hub refused the request.
        """
        resp = self._request("GET", "/payments/bill", params={"date": day.isoformat()})
        if resp.status_code == 503:
            raise HubUnavailable(
                f"the hub cannot read the payment provider's bill (HTTP 503: {resp.text[:120]})",
                code="sync.no_bill",
            )
        data = self._json(resp, ("date", "methods"))
        try:
            return {m.value: int(data["methods"][m]["net_fen"]) for m in PROVIDER_METHODS}
        except (KeyError, TypeError, ValueError) as e:
            raise HubUnavailable(
                f"the hub's bill is not the API's shape: {e}", code="sync.bad_answer"
            ) from e
