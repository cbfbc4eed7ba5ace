"""handover: the key to the agent, with the PIN slip when this visit set a new PIN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.visits import keywork
from kiosk.visits.state import StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """Hand the key over (:func:`kiosk.visits.keywork.handover`)."""
    return keywork.handover(flow, inputs)
