"""Payments at the hub: the provider interface, the sandbox provider, and their HTTP routes."""

from hub.payments.sandbox import SandboxProvider
from kiosk.contracts.payments import (
    Channel,
    PaymentProvider,
    ProviderError,
    ProviderUnavailable,
    RefundResult,
    Trade,
    TradeState,
    channel_of_code,
)

__all__ = [
    "Channel",
    "PaymentProvider",
    "ProviderError",
    "ProviderUnavailable",
    "RefundResult",
    "SandboxProvider",
    "Trade",
    "TradeState",
    "channel_of_code",
]
