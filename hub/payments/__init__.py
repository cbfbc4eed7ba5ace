"""Payments at the hub: the provider interface, the sandbox provider, and their HTTP routes."""

from hub.payments.provider import (
    Channel,
    PaymentProvider,
    ProviderError,
    ProviderUnavailable,
    RefundResult,
    Trade,
    TradeState,
    channel_of_code,
)
from hub.payments.sandbox import SandboxProvider

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
