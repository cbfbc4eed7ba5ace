"""The visit's steps, one module each, and the table the engine runs them from.

A step is a function ``run(flow, inputs) -> StepResult``: it reads the visit (``flow``) and
what it was given (:class:`kiosk.visits.state.StepInputs`), does its work (idempotently: a
re-run after a crash first looks at the world) and returns its journal detail and the data it
adds. The engine (:mod:`kiosk.visits.engine`) journals it ``started`` before and ``done`` after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.visits.state import StepInputs, StepResult
from kiosk.visits.steps import (
    form,
    handover,
    identify,
    keys,
    materials,
    pay,
    quote,
    receipt,
    seal,
)

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit

#: One step's work.
Step = Callable[["RunningVisit", StepInputs], StepResult]

#: Every step by name, in the order a visit takes them (a plan is a subsequence).
STEPS: dict[str, Step] = {
    "identify": identify.run,
    "form": form.run,
    "materials": materials.run,
    "seal": seal.run,
    "quote": quote.run,
    "pay": pay.run,
    "keys": keys.run,
    "handover": handover.run,
    "receipt": receipt.run,
}
