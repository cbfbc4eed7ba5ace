"""form: the unit the certificate names (an individual certificate: the agent), checked, with
what an earlier visit of the same unit knew prefilled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.domain import identifiers
from kiosk.domain import unit as unit_rules
from kiosk.visits.state import FlowError, StepInputs, StepResult, Unit

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """The unit's credit code, name (and legal representative), type and address.

    Raises:
        FlowError: ``visit.uscc_missing``, ``visit.unit_missing``.
        DomainError: a bad USCC, unit type or address.
    """
    kind = flow.row()["kind"]
    given = inputs.unit.dump()
    d = flow.visit_data()
    if kind == "individual":
        name = d.agent.name if d.agent else None
        return StepResult.of({"person": name}, unit=Unit(person_name=name))
    uscc = given.get("uscc") or (d.unit.uscc if d.unit else None)
    if not uscc:
        raise FlowError("the unit's credit code (USCC) is missing", code="visit.uscc_missing")
    uscc = identifiers.parse_uscc(str(uscc)).code
    prefill = flow.res.unit_prefill(uscc, exclude=flow.visit_id)
    unit = {**prefill, **{k: v for k, v in given.items() if v not in (None, "")}}
    unit["uscc"] = uscc
    for k in ("name", "legal_rep") if kind == "legal-rep" else ("name",):
        if not unit.get(k):
            raise FlowError(f"the unit's {k} is missing", code="visit.unit_missing")
    # a phone may be a landline: only mobiles are checked (identifiers.parse_mobile)
    _check_unit(unit, given)
    return StepResult.of({"uscc": uscc, "prefilled": sorted(prefill)}, unit=unit)


def _check_unit(unit: dict[str, Any], given: dict[str, Any]) -> None:
    """The unit type and address, checked where given (the screen always gives both; a
    headless file may leave them to the earlier visit's data, or out)."""
    if unit.get("unit_type") or "unit_type" in given:
        unit["unit_type"] = unit_rules.unit_type(str(unit.get("unit_type") or "")).key
    if unit.get("address") or "address" in given:
        unit["address"] = unit_rules.parse_address(str(unit.get("address") or ""))
