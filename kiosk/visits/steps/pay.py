"""pay: the visit's payment, every method (see :mod:`kiosk.visits.paying`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.visits import paying
from kiosk.visits.state import StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """Take the quote's money (:func:`kiosk.visits.paying.pay_step`)."""
    return paying.pay_step(flow, inputs)
