"""seal: the imprint of the seal made in this visit, checked and extracted (hardware/seal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.visits.state import FlowError, StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """Check the imprint photo (``[seal_image]``) against the program's seal types and the
    imprint rules; a staff override lets a failed or borderline imprint through.

    Raises:
        FlowError: ``visit.seal_image_missing``, ``visit.seal_type``.
        SealError: ``seal.check_failed``; StaffError / UsageError: ``override.*``.
    """
    si = inputs.seal_image
    if not si.path:
        raise FlowError(
            "a seal is made in this visit: give [seal_image] path",
            code="visit.seal_image_missing",
        )
    prog = flow.program()
    seal_type = si.seal_type
    if seal_type not in prog.seal_types:
        raise FlowError(
            f"{prog.id} accepts seal types {', '.join(prog.seal_types)}", code="visit.seal_type"
        )
    # A staff override (the screen's accept of a failed or borderline imprint): who made
    # it, who approved it and why come from the staff area's record, never from the inputs.
    override = None
    if si.override is not None:
        override = flow.res.seal_override(si.override.id, flow.visit_id)
    unit = flow.visit_data().unit
    unit_type = (unit.unit_type if unit else None) or "enterprise"
    info = flow.res.check_seal(
        si.path, unit_type, seal_type, si.px_per_mm, overridden=override is not None
    )
    info.update(seal_type=seal_type, source=si.source, evidence=si.path)
    if override is not None:
        info["override"] = override
    return StepResult.of({k: v for k, v in info.items() if k != "png_hex"}, seal_picture=info)
