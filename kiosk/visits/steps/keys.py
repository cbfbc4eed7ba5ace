"""keys: the service's work on the key (see :mod:`kiosk.visits.keywork`), once the money allows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.visits import keywork
from kiosk.visits.state import FlowError, StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """Refuse key work on money not confirmed (a transfer), then the service's key work.

    Raises:
        FlowError: ``visit.not_paid`` and the key work's refusals.
    """
    if flow.visit_data().payment:
        ok, why = flow.res.money().payments.can_issue(flow.visit_id)
        if not ok:
            raise FlowError(why, code="visit.not_paid")
    return keywork.run(flow, inputs)
