"""What the visit screens show before a service on an existing key runs, and how an earlier
visit is found without its receipt.

- :func:`find_earlier`: the earlier visits a service can work on, found by the agent's ID number
  or by the serial of a key in the reader (an agent who lost the receipt with the order number
  is not stuck).
- :func:`key_status`: the key and certificate a visit works on (state, certificate serial and
  notAfter, seal, the PIN's state when the key is in the reader), shown before the key step (an
  unlock shows whether the PIN is locked first).
- :func:`refund_decision`: the refund rule's answer for the earlier visit, in words, with the
  amount that would go back.

All read-only (the training reader is the one exception: like the key step itself, the key the
visit works on is put in the reader). No textual import here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.domain.services import PRICED
from kiosk.errors import KioskError
from kiosk.visits.state import VisitData


@dataclass(frozen=True)
class EarlierVisit:
    """One earlier visit a service could work on.

    Attributes:
        order: its order number.
        service: its service (``new``, ``renew`` …).
        day: its date at the counter (Asia/Shanghai), ``YYYY-MM-DD``.
        holder: the unit's name (or the person's, for an individual certificate).
        key_serial: the key it left with the agent (None for a key not made yet).
        key_state: that key's state (``active`` …), None when unknown.
    """

    order: str
    service: str
    day: str
    holder: str
    key_serial: str | None
    key_state: str | None


def keys_in_reader(res: Any) -> list[str]:
    """Serials of the issued (not blank) keys in the reader now.

    Raises:
        KioskError: the key reader cannot be read (``token.*``).
    """
    tokens = res.keys().tokens
    return [k.serial for k in tokens.keys(rescan=True) if k.initialised and k.serial]


def find_earlier(
    res: Any,
    *,
    service: str,
    program: str,
    kind: str,
    agent_id_number: str | None = None,
    key_serials: list[str] | tuple[str, ...] = (),
    limit: int = 8,
) -> list[EarlierVisit]:
    """Earlier visits of this program and kind that ``service`` can work on, newest first.

    Found by the agent's ID number and/or by key serials. What fits a service: a pickup, a key
    prepared offline that still waits; a refund, a paid visit; any other service, the newest
    visit of each key that is not written off (active or suspended).
    """
    if not agent_id_number and not key_serials:
        return []
    from kiosk.visits import offline

    db = res.store.db
    where, args = [], []
    if agent_id_number:
        where.append("agent_id_number = ?")
        args.append(agent_id_number.upper())
    if key_serials:
        marks = ",".join("?" * len(key_serials))
        where.append(f"json_extract(data, '$.key_serial') IN ({marks})")
        args += list(key_serials)
    rows = db.execute(
        "SELECT order_no, service, state, data, created_at FROM visits "
        f"WHERE program = ? AND kind = ? AND ({' OR '.join(where)}) ORDER BY id DESC LIMIT 200",
        [program, kind, *args],
    ).fetchall()
    tz = ZoneInfo(res.settings.counter.timezone)
    out: list[EarlierVisit] = []
    seen: set[str] = set()
    for order, svc, state, data, created in rows:
        d = VisitData.load(data)
        serial = d.key_serial
        key_state = _key_state(db, serial)
        if service == "pickup":
            w = offline.waiting_request(db, order)
            if svc != "new" or w is None or w["state"] == "handed_over":
                continue
        elif service == "refund":
            if svc not in PRICED or state != "done" or not d.payment:
                continue
        else:
            if state != "done" or not serial or serial in seen:
                continue
            seen.add(serial)  # the newest visit of a key speaks for it
            if key_state not in ("active", "suspended"):
                continue
        holder = (d.unit.name or d.unit.person_name if d.unit else None) or (
            d.agent.name if d.agent else None
        )
        day = dt.datetime.fromisoformat(str(created).replace("Z", "+00:00")).astimezone(tz)
        out.append(
            EarlierVisit(order, svc, day.date().isoformat(), holder or "-", serial, key_state)
        )
        if len(out) >= limit:
            break
    return out


def _key_state(db: Any, serial: str | None) -> str | None:
    if not serial:
        return None
    r = db.execute("SELECT state FROM keys WHERE serial = ?", [serial]).fetchone()
    return None if r is None else str(r[0])


@dataclass(frozen=True)
class KeyStatus:
    """The key and certificate a visit works on, as the screen shows them before the key step.

    Attributes:
        serial: the key's serial (None: the visit has no key).
        in_reader: the key was read in the reader just now.
        pin: ``locked|final_try|count_low|ok`` read from the key (None when it is not in the
            reader or cannot be read).
        state: the key's state (``active`` …), None when the key service does not know it.
        cert_serial: its certificate's serial.
        not_after: the certificate's last day (the counter's date, ``YYYY-MM-DD``).
        subject: the certificate's subject fields.
        seal: the certificate carries an electronic seal.
    """

    serial: str | None
    in_reader: bool = False
    pin: str | None = None
    state: str | None = None
    cert_serial: str | None = None
    not_after: str | None = None
    subject: dict[str, Any] = field(default_factory=dict)
    seal: bool = False


def key_status(flow: Any) -> KeyStatus:
    """The key and certificate this visit works on, for the screen before the key step."""
    from kiosk.visits import keywork

    res = flow.res
    serial = flow.visit_data().key_serial
    if not serial:
        return KeyStatus(serial=None)
    out = KeyStatus(serial=serial)
    rec = res.keys().repo.get(serial)
    if rec is not None:
        na = rec.cert_not_after
        tz = ZoneInfo(res.settings.counter.timezone)
        out = replace(
            out,
            state=rec.state.value,
            cert_serial=rec.cert_serial,
            not_after=na.astimezone(tz).date().isoformat() if na else None,
            subject=dict(rec.subject or {}),
            seal=bool(rec.seal_der),
        )
    with contextlib.suppress(KioskError):
        if res.standin() is not None:
            keywork._only_key(flow, serial)  # training: the agent puts the key in the reader
        info = res.keys().tokens.key(serial)
        p = info.user_pin
        pin = (
            "locked"
            if p.locked
            else "final_try"
            if p.final_try
            else "count_low"
            if p.count_low
            else "ok"
        )
        out = replace(out, in_reader=True, pin=pin)
    return out


@dataclass(frozen=True)
class RefundWords:
    """The refund rule's answer for the earlier visit, in words.

    Attributes:
        eligible: the rule allows the refund.
        reason: its reason code (``kiosk.domain.refund.RefundReason``).
        zh: the answer in Chinese.
        en: the answer in English.
        last_day: the last day a refund is allowed (``YYYY-MM-DD``), where the rule has one.
        refundable_fen: what would go back.
    """

    eligible: bool
    reason: str
    zh: str
    en: str
    last_day: str | None
    refundable_fen: int


def refund_decision(flow: Any) -> RefundWords:
    """The refund rule's answer for the earlier visit (nothing is paid back here)."""
    res = flow.res
    earlier = res.visit_row(flow.visit_data().earlier_order or "")
    if earlier is None:
        raise KioskError("the earlier visit is gone", code="visit.unknown_order")
    decision = flow.refund_decision(earlier)
    refundable = 0
    with contextlib.suppress(KioskError):
        refundable = sum(p.refundable_fen for p in res.money().payments.payments(earlier["id"]))
    return RefundWords(
        eligible=decision.eligible,
        reason=decision.reason.value,
        zh=decision.zh,
        en=decision.en,
        last_day=decision.last_day.isoformat() if decision.last_day else None,
        refundable_fen=refundable,
    )
