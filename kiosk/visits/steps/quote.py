"""quote: the itemised quote the pay step charges, journalled with the first payment key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.visits.state import QuoteData, QuoteItem, StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """The visit's quote (:meth:`RunningVisit.quote`) and ``ORDER:pay``, the first attempt key."""
    q = flow.quote()
    quote = QuoteData(
        total_fen=q.total_fen,
        items=[
            QuoteItem(name=getattr(i, "name_en", str(i)), amount_fen=getattr(i, "amount_fen", 0))
            for i in q.items
        ],
    )
    return StepResult.of({"total_fen": q.total_fen}, quote=quote, pay_key=f"{flow.order_no}:pay")
