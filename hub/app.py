"""The hub's HTTP API (Starlette), version 1, under ``/api/v1``.

Endpoints (JSON unless said otherwise; all but health and the CRL need
``Authorization: Bearer NAME:SECRET``; a wrong or missing credential gets 401, changes nothing):

- ``GET /health`` -> ``{"status": "ok", "time": "<hub UTC>", "api": 1}``
- ``POST /events`` ``{"events": [{"event_id", "visit_id", "kind", "payload", "created_at"}]}``
  -> ``{"results": [{"event_id", "status": "stored"|"duplicate"|"rejected", "reason"?}]}``
- ``POST /certificates`` ``{"request_id", "csr": base64 DER, "profile", "subject": {"CN": …},
  "validity": {"years": N} | {"not_before", "not_after"}}`` -> ``{"request_id", "status":
  "issued"|"already_issued", "serial", "certificate_pem", "not_before", "not_after"}``
- ``POST /certificates/{serial}/revoke`` ``{"reason"}`` -> ``{"serial", "status",
  "revoked_at"}``
- ``GET /crl`` -> DER, ``application/pkix-crl``; ``GET /ca`` -> ``{"certificates": [b64 DER]}``
- ``POST /seals`` ``{"request_id", "spec": SealSpec as JSON}`` -> ``{"request_id", "status":
  "made"|"already_made", "seal": b64 DER}`` (every bound certificate issued here, not revoked)
- ``GET /config`` -> ``{"version", "documents": {...}}`` (``ETag``; 304 on ``If-None-Match``)
- ``POST /kmc/escrow`` ``{"request_id", "signing_serial", "transport_key": b64 SPKI,
  "order_no"?}`` and ``POST /kmc/recover`` ``{"request_id", "signing_serial",
  "encryption_serial", "transport_key", "order_no", "agent_digest"}`` -> ``{"request_id",
  "status", "encryption_serial", "certificate_pem", "wrap", "wrapped_kek", "wrapped_key"}``:
  the key management centre (:mod:`hub.kmc`); 503 without one, 404 ``kmc.unknown_key``, 422
  for every other refusal (revoked or expired certificate, another holder).
  ``POST /kmc/recertify`` ``{"request_id", "signing_serial", "encryption_serial", "order_no"?,
  "agent_digest"?}`` -> ``{"request_id", "status", "encryption_serial", "certificate_pem",
  "replaces"}``: a new encryption certificate for the same escrowed key after a renewal or
  change. ``GET /kmc/status`` -> ``{"status", "escrowed", "master_key", "wrap", "ca"}``.
- ``GET /payments/bill?date=YYYY-MM-DD`` -> ``{"date", "timezone", "rule", "methods": {"wechat"|
  "alipay": {"paid_fen", "refunded_fen", "net_fen", "count"}}}``: the provider's bill for the
  asking kiosk's trades (:mod:`hub.payments.bill`); 503 without a provider or when it is down.

With a payment provider the hub also serves the payment routes under ``/v1/payments``
(:mod:`hub.payments.routes`, where ``HubGateway`` calls them), remembering which kiosk created
each trade.

Errors are ``{"error": {"code", "message"}}`` with 400 (malformed), 401, 413 (batch too large),
422 (refused), 503 (no CA configured).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from hub import configdocs, events, issuing, kiosks, seals
from hub.db import HubDB
from hub.issuing import CertificateAuthority, IssuanceError
from hub.payments import bill
from hub.payments.routes import payment_routes
from kiosk.contracts.payments import PaymentProvider, ProviderError
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from hub.kmc import Delivery, KeyManagementCentre, Recertified

log = logging.getLogger("hub")

API_VERSION = 1
API_ROOT = "/api/v1"
MAX_BODY = 32 * 1024 * 1024


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(
    db: HubDB,
    ca: CertificateAuthority | None = None,
    provider: PaymentProvider | None = None,
    kmc: KeyManagementCentre | None = None,
) -> Starlette:
    """Build the hub's ASGI app on an open database and (optionally) an issuing CA.

    Args:
        db: the hub's database.
        ca: the issuing CA; without one the certificate endpoints answer 503.
        provider: the payment provider (or the sandbox); without one the payment routes are
            absent and the bill answers 503.
        kmc: the key management centre (``hub.kmc.KeyManagementCentre``); without one the
            ``/kmc`` endpoints answer 503.
    """
    owners: dict[str, str] = {}  # out_trade_no -> kiosk (in memory, like the sandbox's trades)

    async def kiosk_of(request: Request) -> str | None:
        header = request.headers.get("authorization")
        return await run_in_threadpool(kiosks.authenticate, db, header)

    async def json_body(request: Request) -> Any:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise _BadRequest(413, "hub.too_large", f"request body is over {MAX_BODY} bytes")
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise _BadRequest(400, "hub.bad_json", f"request body is not JSON: {e}") from e

    async def health(request: Request) -> Response:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return JSONResponse({"status": "ok", "time": now, "api": API_VERSION})

    async def post_events(request: Request) -> Response:
        kiosk = await kiosk_of(request)
        if kiosk is None:
            return _error(401, "hub.unauthorized", "missing or wrong kiosk credential")
        try:
            body = await json_body(request)
        except _BadRequest as e:
            return e.response()
        batch = body.get("events") if isinstance(body, dict) else None
        if not isinstance(batch, list):
            return _error(400, "hub.bad_request", 'body must be {"events": [...]}')
        if len(batch) > events.MAX_BATCH:
            return _error(413, "hub.batch_too_large", f"at most {events.MAX_BATCH} events a batch")
        results = await run_in_threadpool(events.ingest, db, kiosk, batch)
        return JSONResponse({"results": results})

    async def post_certificate(request: Request) -> Response:
        kiosk = await kiosk_of(request)
        if kiosk is None:
            return _error(401, "hub.unauthorized", "missing or wrong kiosk credential")
        if ca is None:
            return _error(503, "hub.no_ca", "this hub has no issuing CA configured")
        try:
            body = await json_body(request)
            issued = await run_in_threadpool(issuing.issue, db, ca, kiosk, body)
        except _BadRequest as e:
            return e.response()
        except IssuanceError as e:
            return _error(422, e.code, e.message)
        return JSONResponse(issued.wire())

    async def post_revoke(request: Request) -> Response:
        kiosk = await kiosk_of(request)
        if kiosk is None:
            return _error(401, "hub.unauthorized", "missing or wrong kiosk credential")
        if ca is None:
            return _error(503, "hub.no_ca", "this hub has no issuing CA configured")
        try:
            body = await json_body(request)
            answer = await run_in_threadpool(
                issuing.revoke, db, ca, request.path_params["serial"], body
            )
        except _BadRequest as e:
            return e.response()
        except IssuanceError as e:
            return _error(404 if e.code == "hub.unknown_serial" else 422, e.code, e.message)
        return JSONResponse(answer)

    async def post_seal(request: Request) -> Response:
        kiosk = await kiosk_of(request)
        if kiosk is None:
            return _error(401, "hub.unauthorized", "missing or wrong kiosk credential")
        if not isinstance(ca, seals.SealMaker):
            return _error(503, "hub.no_ca", "this hub has no seal maker configured")
        try:
            body = await json_body(request)
            answer = await run_in_threadpool(seals.make, db, ca, kiosk, body)
        except _BadRequest as e:
            return e.response()
        except IssuanceError as e:
            return _error(422, e.code, e.message)
        return JSONResponse(answer)

    async def get_ca(request: Request) -> Response:
        if ca is None or not hasattr(ca, "ca_der"):
            return _error(503, "hub.no_ca", "this hub has no issuing CA configured")
        import base64

        certs = [base64.b64encode(ca.ca_der()).decode()]
        return JSONResponse({"certificates": certs})

    async def get_crl(request: Request) -> Response:
        if ca is None:
            return _error(503, "hub.no_ca", "this hub has no issuing CA configured")
        der = await run_in_threadpool(issuing.crl_der, ca)
        return Response(der, media_type="application/pkix-crl")

    async def get_config(request: Request) -> Response:
        kiosk = await kiosk_of(request)
        if kiosk is None:
            return _error(401, "hub.unauthorized", "missing or wrong kiosk credential")
        version, docs = await run_in_threadpool(configdocs.snapshot, db)
        etag = f'"{version}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse({"version": version, "documents": docs}, headers={"ETag": etag})

    async def get_bill(request: Request) -> Response:
        kiosk = await kiosk_of(request)
        if kiosk is None:
            return _error(401, "hub.unauthorized", "missing or wrong kiosk credential")
        if provider is None:
            return _error(503, "hub.no_provider", "this hub has no payment provider configured")
        try:
            day = bill.parse_day(request.query_params.get("date"))
            mine = {no for no, k in owners.items() if k == kiosk}
            answer = await run_in_threadpool(bill.day_totals, provider, day, mine)
        except ProviderError as e:
            code = "hub.provider_unavailable" if e.status >= 500 else "hub.bad_bill_request"
            return _error(503 if e.status >= 500 else 400, code, e.message)
        return JSONResponse(answer)

    async def post_kmc(request: Request) -> Response:
        kiosk = await kiosk_of(request)
        if kiosk is None:
            return _error(401, "hub.unauthorized", "missing or wrong kiosk credential")
        if kmc is None:
            return _error(503, "hub.no_kmc", "this hub has no key management centre (KMC)")
        from hub.kmc import KmcError

        action = request.path_params["action"]
        fns: dict[str, Callable[[str, Any], Delivery | Recertified]] = {
            "escrow": kmc.escrow,
            "recover": kmc.recover,
            "recertify": kmc.recertify,
        }
        if action not in fns:
            return _error(404, "hub.not_found", f"no KMC action {action!r}")
        try:
            body = await json_body(request)
            answer = await run_in_threadpool(fns[action], kiosk, body)
        except _BadRequest as e:
            return e.response()
        except KmcError as e:
            return _error(404 if e.code == "kmc.unknown_key" else 422, e.code, e.message)
        return JSONResponse(answer.wire())

    async def get_kmc_status(request: Request) -> Response:
        kiosk = await kiosk_of(request)
        if kiosk is None:
            return _error(401, "hub.unauthorized", "missing or wrong kiosk credential")
        if kmc is None:
            return _error(503, "hub.no_kmc", "this hub has no key management centre (KMC)")
        return JSONResponse(await run_in_threadpool(kmc.status))

    async def on_kiosk_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, KioskError)
        log.warning("refused %s %s: %s", request.method, request.url.path, exc)
        return _error(422, exc.code, exc.message)

    routes: list[BaseRoute] = [
        Route(API_ROOT + "/health", health, methods=["GET"]),
        Route(API_ROOT + "/events", post_events, methods=["POST"]),
        Route(API_ROOT + "/certificates", post_certificate, methods=["POST"]),
        Route(API_ROOT + "/certificates/{serial:str}/revoke", post_revoke, methods=["POST"]),
        Route(API_ROOT + "/crl", get_crl, methods=["GET"]),
        Route(API_ROOT + "/ca", get_ca, methods=["GET"]),
        Route(API_ROOT + "/seals", post_seal, methods=["POST"]),
        Route(API_ROOT + "/config", get_config, methods=["GET"]),
        Route(API_ROOT + "/kmc/status", get_kmc_status, methods=["GET"]),
        Route(API_ROOT + "/kmc/{action:str}", post_kmc, methods=["POST"]),
        Route(API_ROOT + "/payments/bill", get_bill, methods=["GET"]),
    ]
    if provider is not None:
        routes.append(
            Mount(
                "/v1/payments", routes=payment_routes(provider, authorize=kiosk_of, owners=owners)
            )
        )
    seals.ensure_schema(db)
    app = Starlette(routes=routes, exception_handlers={KioskError: on_kiosk_error})
    app.state.db = db
    app.state.ca = ca
    return app


class _BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return _error(self.status, self.code, self.message)
