"""Starlette routes that put a :class:`~kiosk.contracts.payments.PaymentProvider` behind HTTP.

The hub mounts them beside its own API, with its kiosk authentication::

    Mount("/v1/payments", routes=payment_routes(provider, authorize=kiosk_of))

(``authorize(request)`` returns the kiosk's name or None → 401). :func:`standalone_app` serves
them alone for tests and training.
Bodies are JSON; amounts integer fen; an error answers ``{"error": {"code", "message",
"unclear"}}`` with 4xx (refused), 502 (unclear) or 503 (provider unreachable).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kiosk.contracts.payments import PaymentProvider, ProviderError

Handler = Callable[[Request], Awaitable[JSONResponse]]


def _error(e: ProviderError) -> JSONResponse:
    return JSONResponse({"error": e.to_dict()}, status_code=e.status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ProviderError("PARAM_ERROR", "the body must be JSON") from None
    if not isinstance(body, dict):
        raise ProviderError("PARAM_ERROR", "the body must be a JSON object")
    return body


def _need(body: dict[str, Any], key: str, kind: type) -> Any:
    value = body.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ProviderError("PARAM_ERROR", f"'{key}' must be a {kind.__name__}")
    return value


def payment_routes(
    provider: PaymentProvider,
    *,
    authorize: Callable[[Request], Awaitable[str | None]] | None = None,
    owners: dict[str, str] | None = None,
) -> list[Route]:
    """The payment endpoints for ``provider``.

    Args:
        provider: the provider adapter (or the sandbox).
        authorize: the hub's kiosk check; None (only for tests and training) lets all in.
        owners: filled with ``out_trade_no -> kiosk name`` for each trade a kiosk creates (the
            day bill answers each kiosk its own trades).
    """

    async def own(request: Request, out_trade_no: str) -> None:
        if owners is not None and authorize is not None:
            kiosk = await authorize(request)
            if kiosk is not None:
                owners.setdefault(out_trade_no, kiosk)

    def guarded(fn: Callable[[Request], Awaitable[Any]]) -> Handler:
        async def handler(request: Request) -> JSONResponse:
            if authorize is not None and await authorize(request) is None:
                return JSONResponse(
                    {
                        "error": {
                            "code": "UNAUTHORIZED",
                            "message": "unknown kiosk credential",
                            "unclear": False,
                        }
                    },
                    status_code=401,
                )
            try:
                return JSONResponse(await fn(request))
            except ProviderError as e:
                return _error(e)

        return handler

    async def micropay(request: Request) -> dict[str, Any]:
        b = await _body(request)
        await own(request, _need(b, "out_trade_no", str))
        trade = await run_in_threadpool(
            lambda: provider.micropay(
                out_trade_no=_need(b, "out_trade_no", str),
                auth_code=_need(b, "auth_code", str),
                amount_fen=_need(b, "amount_fen", int),
                description=str(b.get("description", "")),
            )
        )
        return {"trade": trade.to_dict()}

    async def precreate(request: Request) -> dict[str, Any]:
        b = await _body(request)
        await own(request, _need(b, "out_trade_no", str))
        trade, url = await run_in_threadpool(
            lambda: provider.precreate(
                out_trade_no=_need(b, "out_trade_no", str),
                channel=_need(b, "channel", str),
                amount_fen=_need(b, "amount_fen", int),
                description=str(b.get("description", "")),
            )
        )
        return {"trade": trade.to_dict(), "code_url": url}

    async def query(request: Request) -> dict[str, Any]:
        no = request.path_params["out_trade_no"]
        return {"trade": (await run_in_threadpool(provider.query, no)).to_dict()}

    async def reverse(request: Request) -> dict[str, Any]:
        no = request.path_params["out_trade_no"]
        return {"trade": (await run_in_threadpool(provider.reverse, no)).to_dict()}

    async def close(request: Request) -> dict[str, Any]:
        no = request.path_params["out_trade_no"]
        return {"trade": (await run_in_threadpool(provider.close, no)).to_dict()}

    async def refund(request: Request) -> dict[str, Any]:
        no = request.path_params["out_trade_no"]
        b = await _body(request)
        result = await run_in_threadpool(
            lambda: provider.refund(
                out_trade_no=no,
                out_refund_no=_need(b, "out_refund_no", str),
                amount_fen=_need(b, "amount_fen", int),
            )
        )
        return {"refund": result.to_dict()}

    routes = [
        Route("/micropay", guarded(micropay), methods=["POST"]),
        Route("/precreate", guarded(precreate), methods=["POST"]),
        Route("/trades/{out_trade_no}", guarded(query), methods=["GET"]),
        Route("/trades/{out_trade_no}/reverse", guarded(reverse), methods=["POST"]),
        Route("/trades/{out_trade_no}/close", guarded(close), methods=["POST"]),
        Route("/trades/{out_trade_no}/refund", guarded(refund), methods=["POST"]),
    ]
    simulate = getattr(provider, "simulate_scan", None)
    if simulate is not None:

        async def scan(request: Request) -> dict[str, Any]:
            no = request.path_params["out_trade_no"]
            b = await _body(request)
            trade = await run_in_threadpool(lambda: simulate(no, pay=bool(b.get("pay", True))))
            return {"trade": trade.to_dict()}

        routes.append(
            Route("/trades/{out_trade_no}/simulate-scan", guarded(scan), methods=["POST"])
        )
    return routes


def standalone_app(
    provider: PaymentProvider,
    *,
    authorize: Callable[[Request], Awaitable[str | None]] | None = None,
) -> Starlette:
    """The payment routes alone, under ``/v1/payments`` as on the hub (tests, training)."""
    from starlette.routing import Mount

    return Starlette(
        routes=[Mount("/v1/payments", routes=payment_routes(provider, authorize=authorize))]
    )
