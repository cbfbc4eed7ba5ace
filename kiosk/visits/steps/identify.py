"""identify: the agent (经办人), typed in or read from the ID card reader, checked."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from kiosk.domain import identifiers
from kiosk.visits.state import Agent, FlowError, StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """Check the agent's name, ID number (and its card's validity), mobile; an individual
    certificate's holder only.

    Raises:
        FlowError: ``visit.agent_missing``, ``visit.id_expired``, ``visit.not_holder``.
        DomainError: a bad ID number or mobile.
    """
    a = inputs.agent.dump()
    if inputs.agent.from_reader:
        a = flow.res.read_id_card(a)  # read and validated as on screen (idreader.py)
    for k in ("name", "id_number"):
        if not a.get(k):
            raise FlowError(f"the agent's {k} is missing", code="visit.agent_missing")
    today = flow.today()
    rid = identifiers.parse_resident_id(str(a["id_number"]), today=today)
    if a.get("mobile"):
        a["mobile"] = identifiers.parse_mobile(str(a["mobile"]))
    if a.get("id_valid_to"):
        until = dt.date.fromisoformat(str(a["id_valid_to"]))
        if until < today:
            raise FlowError(f"the agent's ID card expired on {until}", code="visit.id_expired")
        a["id_valid_to"] = until.isoformat()
    agent = Agent(
        name=a.get("name"),
        id_number=rid.number,
        mobile=a.get("mobile"),
        id_valid_to=a.get("id_valid_to"),
    )
    _check_holder(flow, rid.number)
    detail = {"agent": agent.name}
    if a.get("source"):  # "card" when read here from the reader
        detail["source"] = a["source"]
    return StepResult.of(detail, agent=agent)


def _check_holder(flow: RunningVisit, id_number: str) -> None:
    """An individual certificate is served for its holder only, who comes in person
    (DOMAIN.md: the agent acts "for themself"): on an existing certificate the ID card must
    be the one it was issued to. Refused here, before anything is paid."""
    if flow.row()["kind"] != "individual":
        return
    earlier = flow.res.visit_row(flow.visit_data().earlier_order or "")
    holder = (earlier or {}).get("agent_id_number")
    if holder and str(holder).upper() != id_number.upper():
        raise FlowError(
            "an individual certificate is served for its holder only, in person: this ID "
            "card is not the one the certificate was issued to",
            code="visit.not_holder",
        )
