"""The running visit as its steps see it: the port the engine hands each step.

The engine (:class:`kiosk.visits.engine.VisitFlow`) runs the steps from the step table, so the
steps must not import it back: they name this Protocol instead, and the engine satisfies it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kiosk.domain import fees, refund
    from kiosk.domain.types import Program
    from kiosk.visits.resources import Resources
    from kiosk.visits.state import VisitData


class RunningVisit(Protocol):
    """One visit being run: its resources, its journal row and data, and what the steps share."""

    res: Resources
    visit_id: int
    #: the new PIN (new, replace, unlock), in memory only, for the PIN slip
    pin: str | None

    @property
    def order_no(self) -> str:
        """The visit's order number (``DG-YYYYMMDD-NNNN``)."""
        ...

    def row(self) -> dict[str, Any]:
        """The visit's ``visits`` row (columns by name)."""
        ...

    def visit_data(self) -> VisitData:
        """The visit's data column, typed."""
        ...

    def set_data(self, db: Any, **fields: Any) -> None:
        """Merge ``fields`` into the data column, inside the caller's transaction."""
        ...

    def mark_step(
        self, step: str, state: str, detail: dict[str, Any] | None = None, **data: Any
    ) -> None:
        """Journal ``step`` in ``state`` (with its outbox event), merging ``data``."""
        ...

    def next_step(self) -> str | None:
        """The first step of the plan not done (None when the visit is finished)."""
        ...

    def state(self) -> dict[str, Any]:
        """The visit as the CLI prints it."""
        ...

    def quote(self) -> fees.Quote:
        """The visit's itemised quote, as the pay step charges it."""
        ...

    def program(self) -> Program:
        """The visit's program."""
        ...

    def today(self) -> dt.date:
        """The counter's date now."""
        ...

    def finish_earlier(self, order_no: str) -> None:
        """Run the remaining steps of an earlier visit of this kiosk with its own inputs (a
        pick-up completes the mail-in visit that prepared the key)."""
        ...

    def refund_decision(self, earlier: dict[str, Any]) -> refund.RefundDecision:
        """The refund rule's answer for the earlier visit (its ``visits`` row)."""
        ...
