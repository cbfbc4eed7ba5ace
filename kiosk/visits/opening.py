"""What a visit is before its first step: the steps its service takes, and the checks that open
it (the choice is offered; the earlier key is there, not expired where the program wants a new
application, not renewed beyond five years; its seal is the key's) before anything is priced
or paid."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kiosk.domain import clock, fees, validity
from kiosk.domain.services import (
    KEEPS_SEAL,
    NEEDS_KEY,
    ON_EXISTING_KEY,
    PRICED,
    WITH_KEY_HANDOVER,
    must_reapply,
    reapply_reason,
)
from kiosk.domain.types import Kind, Program, Service
from kiosk.errors import ChoiceError
from kiosk.visits.resources import Resources
from kiosk.visits.state import FlowError, VisitData


def plan(service: str, seal: bool, *, renew_first: bool = False) -> list[str]:
    """The steps a service needs. ``renew_first``: a change of an expired certificate, which
    renews in the same visit (so it is quoted and paid as a renewal).

    The imprint is photographed only where a seal is made: a new certificate with a seal, and
    the seal service (add or change). Every other service keeps the key's seal as it is (a
    renewal re-binds it to the new certificate: the seal's validity is the certificate's)."""
    priced = service in PRICED or renew_first
    steps = ["identify"]
    if service in ("new", "change"):
        steps.append("form")
    steps.append("materials")
    if (seal and service == "new") or service == "seal":
        steps.append("seal")
    if priced:
        steps += ["quote", "pay"]
    steps.append("keys")
    if service in WITH_KEY_HANDOVER:
        steps.append("handover")
    if priced:
        steps.append("receipt")
    return steps


def _expired(res: Resources, serial: str | None) -> bool:
    """Whether the key's certificate has expired (the keys table knows its notAfter)."""
    if not serial:
        return False
    r = res.store.db.execute(
        "SELECT cert_not_after FROM keys WHERE serial = ?", [serial]
    ).fetchone()
    if r is None or not r[0]:
        return False
    na = dt.datetime.fromisoformat(str(r[0]).replace("Z", "+00:00"))
    return (na if na.tzinfo else na.replace(tzinfo=dt.UTC)) <= res.now()


def _key_has_seal(res: Resources, serial: str | None) -> bool:
    """Whether the key's certificate carries an electronic seal (the keys table knows)."""
    if not serial:
        return False
    r = res.store.db.execute("SELECT seal_der FROM keys WHERE serial = ?", [serial]).fetchone()
    return r is not None and r[0] is not None


def seal_of_key(res: Resources, service: str, given: bool | None, serial: str | None) -> bool:
    """The seal of a service on an existing key is the key's: a renewal renews it (and charges
    its years where the program does), the other services keep it. ``given`` (a headless
    file's ``seal``) may confirm it; a contradiction is refused in words, not guessed.

    Raises:
        ChoiceError: ``visit.seal_mismatch``.
    """
    has = _key_has_seal(res, serial)
    if given is None or bool(given) == has:
        return has
    if has:
        raise ChoiceError(
            f"the certificate on key {serial} carries an electronic seal, and {service} keeps "
            "it (its validity is the certificate's): leave 'seal' out, or set it true",
            code="visit.seal_mismatch",
        )
    raise ChoiceError(
        f"the certificate on key {serial or '(none)'} has no electronic seal, and {service} "
        "does not make one: add a seal with service = \"seal\" (leave 'seal' out here)",
        code="visit.seal_mismatch",
    )


#: The longest certificate the CA issues, as the hub checks it (hub/issuing.py).
MAX_WINDOW = dt.timedelta(days=5 * 366 + 1)


def _check_renew_room(res: Resources, serial: str | None, years: int, program: Any) -> None:
    """Refuse, before anything is quoted or paid, a renewal that would leave the certificate
    valid for more than five years from now (the CA refuses it at the key step otherwise).

    Raises:
        ChoiceError: ``visit.renew_too_long``, saying how many years are possible now.
    """
    r = res.store.db.execute(
        "SELECT cert_not_after FROM keys WHERE serial = ?", [serial]
    ).fetchone()
    if not serial or r is None or not r[0]:
        return
    na = dt.datetime.fromisoformat(str(r[0]).replace("Z", "+00:00"))
    na = na if na.tzinfo else na.replace(tzinfo=dt.UTC)
    now = res.now()

    def end(n: int) -> dt.datetime | None:
        v = validity.renew(now, na, n, expired_renewal=program.expired_renewal)
        return v.not_after if isinstance(v.not_after, dt.datetime) else None

    last = end(years)
    if last is None or last - now <= MAX_WINDOW:
        return
    room = max((n for n in range(1, years) if (e := end(n)) and e - now <= MAX_WINDOW), default=0)
    until = clock.local_today(last, res.settings.counter.timezone).isoformat()
    more = f"at most {room} year(s) now" if room else "renew it later, nearer its expiry"
    raise ChoiceError(
        f"renewing {years} year(s) would make the certificate valid until {until}, more than "
        f"5 years from today: {more}",
        code="visit.renew_too_long",
    )


def choose(
    res: Resources,
    *,
    service: str,
    program: str,
    kind: str,
    years: int | None,
    seal: bool | None,
    order: str | None,
) -> tuple[Service, Program, Kind, VisitData]:
    """Check a new visit's choice and give its first data (plan, years, seal, quote, and from
    the earlier visit its key and unit); nothing is written.

    Raises:
        ChoiceError: the program does not offer service/kind/seal/years (exit 2);
            ``visit.seal_mismatch``, ``visit.renew_too_long``.
        FlowError: ``visit.order_required``, ``visit.unknown_order``, ``visit.reapply``,
            ``visit.no_key``.
    """
    try:
        svc = Service(service)
    except ValueError as e:
        raise ChoiceError(
            f"unknown service {service!r}; one of: {', '.join(s.value for s in Service)}",
            code="visit.bad_service",
        ) from e
    prog = res.settings.program(program)
    k = Kind(kind)
    if svc not in prog.services or k not in prog.kinds:
        raise ChoiceError(
            f"{prog.id} offers services {', '.join(prog.services)} for kinds "
            f"{', '.join(prog.kinds)}; not {service} for {kind}",
            code="domain.choice",
        )
    # the quote refuses bad years / a seal the program does not make
    q = fees.quote(prog, svc, k, years=years, seal=bool(seal)) if svc.value in PRICED else None
    if svc.value in ON_EXISTING_KEY and not order:
        raise FlowError(
            f"{service} works on an existing key: give the earlier visit's order number",
            code="visit.order_required",
        )
    earlier = res.visit_row(order) if order else None
    if order and earlier is None:
        raise FlowError(f"no visit {order} in this kiosk's journal", code="visit.unknown_order")
    renew_first = False
    ed: dict[str, Any] = {}
    if earlier is not None:
        ed = json.loads(earlier["data"] or "{}")
        expired = _expired(res, ed.get("key_serial"))
        renew_first = svc is Service.CHANGE and expired
        if must_reapply(prog, svc.value, expired=expired):
            raise FlowError(reapply_reason(prog, svc.value), code="visit.reapply")
        if svc is Service.RENEW and years:
            _check_renew_room(res, ed.get("key_serial"), years, prog)
        if svc.value in NEEDS_KEY and not ed.get("key_serial"):
            raise FlowError(
                f"visit {order} has no key yet (it did not reach its key step): finish it "
                f"first (kiosk visit resume {order}), then {service} its key",
                code="visit.no_key",
            )
        if svc.value in KEEPS_SEAL:
            seal = seal_of_key(res, svc.value, seal, ed.get("key_serial"))
            if svc.value in PRICED:  # priced with the key's seal (renew; replace)
                q = fees.quote(prog, svc, k, years=years, seal=seal)
        if renew_first:
            years = years or 1
            q = fees.quote(prog, Service.RENEW, k, years=years, seal=bool(seal))
    data: dict[str, Any] = {
        "years": years,
        "seal": bool(seal or svc.value == "seal"),
        "earlier_order": order,
        "renew_first": renew_first,
        "plan": plan(svc.value, bool(seal), renew_first=renew_first),
        "quote": None if q is None else {"total_fen": q.total_fen},
    }
    if earlier is not None:
        data["key_serial"] = ed.get("key_serial")
        data["unit"] = ed.get("unit")
    vd = VisitData.model_validate(data)
    return svc, prog, k, vd
