"""materials: the checklist of what the agent hands in (journalled by name)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.domain import materials
from kiosk.domain.types import Kind, Service
from kiosk.visits.state import StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """The materials this service, kind, program, seal and payment method need."""
    row = flow.row()
    items = materials.checklist(
        Service(row["service"]),
        Kind(row["kind"]),
        flow.program(),
        flow.visit_data().seal,
        inputs.payment.method,
    )
    names = [str(getattr(m, "name_en", None) or getattr(m, "en", None) or m) for m in items]
    return StepResult.of({"items": len(items)}, materials=names)
