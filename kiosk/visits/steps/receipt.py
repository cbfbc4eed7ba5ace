"""receipt: the paid visit's receipt, printed from the payments' print queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.visits.state import FlowError, ReceiptData, StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """Print the receipt the payment queued (a free visit has none).

    Raises:
        FlowError: ``receipt.none`` (no receipt was queued).
    """
    if not flow.visit_data().payment:
        return StepResult.of({"none": True}, receipt=None)
    q = flow.res.money().queue
    jobs = [j for j in q.jobs(visit_id=flow.visit_id) if j.kind == "receipt"]
    if not jobs:
        raise FlowError("no receipt was queued for this visit's payment", code="receipt.none")
    job = jobs[0]
    for _ in range(5):
        if q.job(job.id).state in ("done", "printed"):
            break
        q.run_once()
    st = q.job(job.id).state
    flow.res.receipt_lines(flow.order_no)  # training: wait for the stand-in's capture
    rec = ReceiptData(job=job.id, state=st)
    return StepResult.of(rec.dump(), receipt=rec)
