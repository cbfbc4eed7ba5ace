"""How the kiosk reaches the payment provider: in-process (training, tests) or through the hub.

Both gateways speak :class:`~kiosk.contracts.payments.PaymentProvider`'s calls and raise its
:class:`~kiosk.contracts.payments.ProviderError` family, so the payment service has one set of
rules whichever is wired:

- :class:`DirectGateway` calls a provider object (the sandbox) in this process.
- :class:`HubGateway` calls the hub's payment routes over HTTP (:mod:`hub.payments.routes`).
  Not reaching the hub at all is :class:`~kiosk.contracts.payments.ProviderUnavailable` (nothing
  was sent: the methods are offline); a timeout after sending, or a 5xx, is *unclear*.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from kiosk.contracts.payments import (
    Channel,
    PaymentProvider,
    ProviderError,
    ProviderUnavailable,
    RefundResult,
    Trade,
)


class Gateway(Protocol):
    """The provider calls the payment service makes (see ``PaymentProvider``)."""

    def micropay(
        self, *, out_trade_no: str, auth_code: str, amount_fen: int, description: str
    ) -> Trade: ...
    def precreate(
        self, *, out_trade_no: str, channel: Channel, amount_fen: int, description: str
    ) -> tuple[Trade, str]: ...
    def query(self, out_trade_no: str) -> Trade: ...
    def reverse(self, out_trade_no: str) -> Trade: ...
    def close(self, out_trade_no: str) -> Trade: ...
    def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundResult: ...


class DirectGateway:
    """A provider object in this process (the sandbox in training mode and tests)."""

    def __init__(self, provider: PaymentProvider):
        self.provider = provider

    def micropay(
        self, *, out_trade_no: str, auth_code: str, amount_fen: int, description: str
    ) -> Trade:
        return self.provider.micropay(
            out_trade_no=out_trade_no,
            auth_code=auth_code,
            amount_fen=amount_fen,
            description=description,
        )

    def precreate(
        self, *, out_trade_no: str, channel: Channel, amount_fen: int, description: str
    ) -> tuple[Trade, str]:
        return self.provider.precreate(
            out_trade_no=out_trade_no,
            channel=channel,
            amount_fen=amount_fen,
            description=description,
        )

    def query(self, out_trade_no: str) -> Trade:
        return self.provider.query(out_trade_no)

    def reverse(self, out_trade_no: str) -> Trade:
        return self.provider.reverse(out_trade_no)

    def close(self, out_trade_no: str) -> Trade:
        return self.provider.close(out_trade_no)

    def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundResult:
        return self.provider.refund(
            out_trade_no=out_trade_no, out_refund_no=out_refund_no, amount_fen=amount_fen
        )


class HubGateway:
    """The hub's payment routes over HTTP.

    Args:
        base_url: the hub's address (``http://127.0.0.1:8470``), as the sync client takes it.
        prefix: where the payment routes are mounted on the hub.
        credential: this kiosk's credential (sent as a bearer token).
        timeout: seconds per request.
        transport: an httpx transport (tests may pass ``httpx.ASGITransport``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        credential: str = "",
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        prefix: str = "/v1/payments",
    ):
        headers = {"Authorization": f"Bearer {credential}"} if credential else {}
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + prefix,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def close_client(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            r = self.client.request(method, path, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise ProviderUnavailable(f"hub unreachable: {e}") from e
        except httpx.HTTPError as e:  # sent, but no answer: the outcome is unknown
            raise ProviderError("NETWORK", f"no answer from the hub: {e}", unclear=True) from e
        try:
            data = r.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ProviderError(
                "BAD_ANSWER",
                f"hub answered {r.status_code} without JSON",
                unclear=r.status_code >= 500,
            )
        if r.status_code >= 400 or "error" in data:
            err = data.get("error") or {}
            if r.status_code == 503 and err.get("code") == "UNAVAILABLE":
                raise ProviderUnavailable(str(err.get("message", "provider unreachable")))
            raise ProviderError(
                str(err.get("code", f"HTTP{r.status_code}")),
                str(err.get("message", r.reason_phrase)),
                unclear=bool(err.get("unclear", r.status_code >= 500)),
                status=r.status_code,
            )
        return data

    def micropay(
        self, *, out_trade_no: str, auth_code: str, amount_fen: int, description: str
    ) -> Trade:
        body = {
            "out_trade_no": out_trade_no,
            "auth_code": auth_code,
            "amount_fen": amount_fen,
            "description": description,
        }
        return Trade.from_dict(self._call("POST", "/micropay", body)["trade"])

    def precreate(
        self, *, out_trade_no: str, channel: Channel, amount_fen: int, description: str
    ) -> tuple[Trade, str]:
        body = {
            "out_trade_no": out_trade_no,
            "channel": channel,
            "amount_fen": amount_fen,
            "description": description,
        }
        data = self._call("POST", "/precreate", body)
        return Trade.from_dict(data["trade"]), str(data["code_url"])

    def query(self, out_trade_no: str) -> Trade:
        return Trade.from_dict(self._call("GET", f"/trades/{out_trade_no}")["trade"])

    def reverse(self, out_trade_no: str) -> Trade:
        return Trade.from_dict(self._call("POST", f"/trades/{out_trade_no}/reverse", {})["trade"])

    def close(self, out_trade_no: str) -> Trade:
        return Trade.from_dict(self._call("POST", f"/trades/{out_trade_no}/close", {})["trade"])

    def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int) -> RefundResult:
        body = {"out_refund_no": out_refund_no, "amount_fen": amount_fen}
        return RefundResult(**self._call("POST", f"/trades/{out_trade_no}/refund", body)["refund"])

    def simulate_scan(self, out_trade_no: str, *, pay: bool = True) -> Trade:
        """Sandbox only: the payer scans the on-screen QR code and pays."""
        data = self._call("POST", f"/trades/{out_trade_no}/simulate-scan", {"pay": pay})
        return Trade.from_dict(data["trade"])
