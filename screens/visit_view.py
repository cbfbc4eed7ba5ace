"""What the visit screens read of a visit: the typed view their port returns.

The engine's models (``kiosk.visits.state.VisitView``, ``VisitData``, ``Unit`` …) have these
attributes; the screens name only what they read, as protocols, so the screens (and the
supervisor console that words their refusals) depend on no visit code, not even for types.
"""

from __future__ import annotations

from typing import Protocol


class PaymentView(Protocol):
    """The visit's payment (its live state)."""

    @property
    def id(self) -> int | None: ...
    @property
    def state(self) -> str | None: ...
    @property
    def method(self) -> str | None: ...


class KeyView(Protocol):
    """The key the visit worked on."""

    @property
    def serial(self) -> str | None: ...


class CertificateView(Protocol):
    """The certificate on the key after the key step."""

    @property
    def serial(self) -> str | None: ...
    @property
    def not_after(self) -> str | None: ...


class RefundView(Protocol):
    """A refund made by a refund visit."""

    @property
    def amount_fen(self) -> int: ...


class RecoveredView(Protocol):
    """What a key recovery put back onto the key."""

    @property
    def encryption_serial(self) -> str | None: ...


class VisitView(Protocol):
    """The visit as the engine reports it after each step (``VisitPort.state`` / ``run``)."""

    @property
    def order(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def next_step(self) -> str | None: ...
    @property
    def steps(self) -> list[str]: ...
    @property
    def done(self) -> list[str]: ...
    @property
    def total_fen(self) -> int: ...
    @property
    def payment(self) -> PaymentView | None: ...
    @property
    def certificate(self) -> CertificateView | None: ...
    @property
    def key(self) -> KeyView | None: ...
    @property
    def refund(self) -> RefundView | None: ...
    @property
    def recovered(self) -> RecoveredView | None: ...


class UnitView(Protocol):
    """The unit as journalled (or prefilled from an earlier visit of the same USCC)."""

    @property
    def uscc(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def legal_rep(self) -> str | None: ...
    @property
    def unit_type(self) -> str | None: ...
    @property
    def address(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def person_name(self) -> str | None: ...


class VisitDataView(Protocol):
    """What the screens read of the visit's journalled data (``VisitPort.data``)."""

    @property
    def unit(self) -> UnitView | None: ...
    @property
    def earlier_order(self) -> str | None: ...


class KeyStatusView(Protocol):
    """The key and certificate a visit works on, shown before its key step
    (``kiosk.visits.lookup.KeyStatus``)."""

    @property
    def serial(self) -> str | None: ...
    @property
    def pin(self) -> str | None: ...
    @property
    def state(self) -> str | None: ...
    @property
    def cert_serial(self) -> str | None: ...
    @property
    def not_after(self) -> str | None: ...
    @property
    def seal(self) -> bool: ...


class RefundRuleView(Protocol):
    """The refund rule's answer for the earlier visit (``kiosk.visits.lookup.RefundWords``)."""

    @property
    def eligible(self) -> bool: ...
    @property
    def zh(self) -> str: ...
    @property
    def en(self) -> str: ...
    @property
    def refundable_fen(self) -> int: ...


class PaymentStatusView(Protocol):
    """A payment attempt the pay step follows (``kiosk.visits.paying.PaymentStatus``)."""

    @property
    def state(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def qr(self) -> bool: ...
    @property
    def url(self) -> str | None: ...
    @property
    def out_trade_no(self) -> str | None: ...
