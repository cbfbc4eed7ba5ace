"""The key step of each service, and the hand-over (PIN slip), on top of KeyService.

Every call carries the visit's order number: KeyService journals its own job per order and
service and resumes it when called again, so a re-run after a crash never makes a second key
pair, certificate or seal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cryptography import x509

from kiosk.contracts.subject import SubjectData
from kiosk.domain import clock, validity
from kiosk.domain.services import SETS_PIN, must_reapply, reapply_reason
from kiosk.domain.types import Service
from kiosk.errors import KioskError
from kiosk.visits import journal

if TYPE_CHECKING:
    from kiosk.visits.engine import VisitFlow

Out = tuple[dict[str, Any], dict[str, Any]]


def _err(msg: str, code: str) -> KioskError:
    from kiosk.visits.engine import FlowError

    return FlowError(msg, code=code)


def _cert_info(der: bytes | None) -> dict[str, Any] | None:
    if not der:
        return None
    c = x509.load_der_x509_certificate(der)
    return {
        "serial": format(c.serial_number, "x"),
        "subject": c.subject.rfc4514_string(),
        "not_before": clock.to_storage(c.not_valid_before_utc),
        "not_after": clock.to_storage(c.not_valid_after_utc),
    }


def _key_info(flow: VisitFlow, serial: str) -> Out:
    rec = flow.res.keys().repo.get(serial)
    cert = _cert_info(rec.cert_der) if rec else None
    key = {"serial": serial, "state": rec.state.value if rec else "unknown"}
    return (
        {"key": serial, "cert": (cert or {}).get("serial")},
        {"key_serial": serial, "key": key, "certificate": cert},
    )


def _subject(flow: VisitFlow) -> SubjectData:
    d = flow.data()
    unit = d.get("unit") or {}
    kind = flow.row()["kind"]
    agent = d.get("agent") or {}
    if kind == "org":
        return SubjectData(unit_name=unit.get("name", ""), uscc=unit.get("uscc", ""))
    if kind == "legal-rep":
        return SubjectData(
            unit_name=unit.get("name", ""),
            uscc=unit.get("uscc", ""),
            person_name=unit.get("legal_rep") or agent.get("name", ""),
        )
    return SubjectData(person_name=unit.get("person_name") or agent.get("name", ""))


def _end_of_day(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), ZoneInfo(tz)).astimezone(dt.UTC)


def _only_key(flow: VisitFlow, serial: str | None) -> None:
    """Training: the reader holds just the key this visit works on (others to the drawer)."""
    sim = flow.res.standin()
    if sim is None:
        return
    for s in sim.inserted():
        if s != serial:
            sim.pull(s)
    if serial is None:
        if sim.blanks_left() <= 0:
            # training: a new box of blank keys (the stand-in keeps its stock in its state file)
            st = sim._read_state()
            sim._write_state({**st, "blank_stock": sim._used() + 4})
        if not sim.blank_present():
            sim.insert_blank()
    else:
        sim.pull_blank()
        if serial not in sim.inserted() and serial in sim.pulled():
            sim.insert(serial)
    flow.res.keys().tokens.rescan()


def _key_choice(inputs: dict[str, Any]) -> tuple[bool, str | None]:
    """The file's ``[key] blank`` / ``[key] serial`` (``kiosk visit run`` checked their form)."""
    k = inputs.get("key") or {}
    serial = str(k["serial"]).strip().lower() if k.get("serial") else None
    return bool(k.get("blank")), serial


def _check_blank(flow: VisitFlow) -> None:
    """``[key] blank = true``: the reader must hold a blank key and no issued one.

    In training the stand-in still supplies a blank key from stock when none is in the reader,
    but an issued key left in it is refused by name, as on a counter (nothing is pulled for you).
    """
    sim = flow.res.standin()
    if sim is not None:
        issued = list(sim.inserted())
        if not issued and not sim.blank_present():
            _only_key(flow, None)
    else:
        issued = [k.serial for k in flow.res.keys().tokens.keys(rescan=True) if not k.blank]
    if issued:
        labels = ", ".join(issued)
        raise _err(
            f"the key in the reader ({labels}) is not blank; this visit needs a blank key "
            "([key] blank = true): take that key out, insert a blank key from stock and resume",
            "visit.key_not_blank",
        )


def _check_serial(flow: VisitFlow, serial: str) -> None:
    """``[key] serial``: the key this visit works on must be that one, in the reader."""
    sim = flow.res.standin()
    if sim is not None:
        if serial not in sim.inserted() and serial not in sim.pulled():
            raise _err(
                f"training: the key stand-in has no key {serial} in its reader or drawer "
                "(kiosk --training token sim status lists them)",
                "visit.key_not_in_standin",
            )
        return  # the stand-in puts it in the reader (_only_key)
    present = flow.res.keys().tokens.keys(rescan=True)
    if not any(k.serial.lower() == serial for k in present):
        there = ", ".join(k.serial or "a blank key" for k in present) or "no key"
        raise _err(
            f"key {serial} is not in the reader ({there} is); insert key {serial} and resume",
            "visit.key_wrong",
        )


def _seal_request(flow: VisitFlow) -> Any:
    from kiosk.keys.service import SealRequest

    pic = flow.data().get("seal_picture")
    if not pic:
        return None
    name = (flow.data().get("unit") or {}).get("name") or "seal"
    return SealRequest(
        name, bytes.fromhex(pic["png_hex"]), int(pic["width_mm"]), int(pic["height_mm"])
    )


def _pin(inputs: dict[str, Any]) -> str:
    pin = str((inputs.get("key") or {}).get("pin") or "")
    if not pin:
        raise _err("this service needs the key's PIN: give [key] pin", "visit.pin_required")
    return pin


#: What a replaced key was, by the holder's word: a lost key's certificate is revoked as
#: keyCompromise (someone may hold it), a damaged one's as superseded.
CONDITIONS = ("lost", "damaged")

#: The RFC 5280 reasons a holder may give for a cancellation (注销) at the counter.
CANCEL_REASONS = (
    "cessationOfOperation",
    "affiliationChanged",
    "superseded",
    "keyCompromise",
    "privilegeWithdrawn",
    "unspecified",
)


def _condition(inputs: dict[str, Any]) -> bool:
    """Whether the replaced key was lost (default, as before ``[key] condition`` existed)."""
    cond = str((inputs.get("key") or {}).get("condition") or "lost")
    if cond not in CONDITIONS:
        raise _err(
            f"[key] condition must be one of {', '.join(CONDITIONS)}, not {cond!r}",
            "visit.bad_condition",
        )
    return cond == "lost"


def _cancel_reason(inputs: dict[str, Any]) -> str:
    reason = str((inputs.get("key") or {}).get("reason") or "cessationOfOperation")
    if reason not in CANCEL_REASONS:
        raise _err(
            f"[key] reason must be one of {', '.join(CANCEL_REASONS)}, not {reason!r}",
            "visit.bad_reason",
        )
    return reason


def run(flow: VisitFlow, inputs: dict[str, Any]) -> Out:
    row, d = flow.row(), flow.data()
    svc, order = row["service"], row["order_no"]
    prog = flow._program()
    res = flow.res
    actor = res.staff_no
    today = clock.local_today(res.now(), res.settings.counter.timezone)
    tz = res.settings.counter.timezone
    want_blank, want_serial = _key_choice(inputs)
    if want_serial and want_serial != str(d.get("key_serial") or "").lower():
        raise _err(
            f"[key] serial {want_serial} is not the key of {d.get('earlier_order')} "
            f"({d.get('key_serial') or 'none'})",
            "visit.key_mismatch",
        )
    if svc == "key-recovery":
        return _key_recovery(flow, inputs)
    if svc == "refund":
        return _refund(flow)
    if svc == "pickup":
        return _pickup(flow)
    ks = res.keys()
    if svc == "new":
        from kiosk.keys.service import IssueRequest

        job = ks.repo.job(order, "new")
        if job is not None and job.state == "done" and job.key_serial:
            return _key_info(flow, job.key_serial)
        if job is None or not job.key_serial:
            if want_blank:
                _check_blank(flow)
            else:
                _only_key(flow, None)
        else:
            _only_key(flow, job.key_serial)
        pay_ok, why = (
            res.money().payments.can_issue(flow.visit_id) if d.get("payment") else (True, "")
        )
        if not pay_ok:
            raise _err(why, "visit.not_paid")
        v = validity.after_service(Service.NEW, today, years=d["years"])
        assert v.not_after is not None  # a new certificate always has one
        req = IssueRequest(
            order_no=order,
            kind=row["kind"],
            subject=_subject(flow),
            not_before=res.now(),
            not_after=_end_of_day(v.not_after, tz),
            seal=_seal_request(flow),
            holder_digest=_holder_digest(flow),
        )
        result = ks.issue_new(req, actor=actor)
        flow.pin = result.user_pin
        _escrow_event(flow, result.serial)
        return _key_info(flow, result.serial)
    serial = d.get("key_serial")
    if not serial:
        raise _err("the earlier visit has no key", "visit.no_key")
    if svc == "replace":
        job = ks.repo.job(order, "replace")
        if job is not None and job.state == "done" and job.key_serial:
            return _key_info(flow, job.key_serial)
        if want_blank and (job is None or not job.key_serial):
            _check_blank(flow)
        else:
            _only_key(flow, None)
        result = ks.replace(
            order_no=order,
            actor=actor,
            old_serial=serial,
            lost=_condition(inputs),
            holder_digest=_holder_digest(flow),
        )
        flow.pin = result.user_pin
        _escrow_event(flow, result.serial)
        return _key_info(flow, result.serial)
    if want_serial:
        _check_serial(flow, want_serial)
    _only_key(flow, serial)
    done_job = ks.repo.job(order, svc if svc != "change" else "change")
    if done_job is not None and done_job.state == "done":
        _recertified_events(flow, serial)
        return _key_info(flow, serial)
    digest = agent_digest((d.get("agent") or {}).get("id_number") or "")
    rec = ks.repo.get(serial)
    charged_seal = svc == "renew" or (svc == "change" and d.get("renew_first"))
    if charged_seal and rec is not None and (rec.seal_der is not None) != bool(d.get("seal")):
        raise _err(
            f"the seal on key {serial} changed after this visit was opened and quoted "
            f"({'with' if d.get('seal') else 'without'} a seal): the renewal would re-bind a "
            "seal not paid for; staff refund this visit and open a new one",
            "visit.seal_changed",
        )
    if svc in ("renew", "change") and rec is not None and rec.enc_cert_serial:
        _check_individual_holder(flow)
    expired = rec is not None and rec.cert_not_after is not None and rec.cert_not_after <= res.now()
    if svc == "renew":
        if must_reapply(prog, svc, expired=expired):
            raise _err(reapply_reason(prog, svc), "visit.reapply")
        ks.renew(
            order_no=order,
            actor=actor,
            user_pin=_pin(inputs),
            years=d["years"] or 1,
            serial=serial,
            expired_renewal=prog.expired_renewal,
            agent_digest=digest,
        )
    elif svc == "change":
        if expired or d.get("renew_first"):
            if must_reapply(prog, svc, expired=True):
                raise _err(reapply_reason(prog, svc), "visit.reapply")
            # the domain rule: the change of an expired certificate renews in the same visit
            ks.renew(
                order_no=order,
                actor=actor,
                user_pin=_pin(inputs),
                years=d.get("years") or 1,
                serial=serial,
                expired_renewal=prog.expired_renewal,
                agent_digest=digest,
            )
        ks.change(
            order_no=order,
            actor=actor,
            user_pin=_pin(inputs),
            subject=_subject(flow),
            serial=serial,
            agent_digest=digest,
        )
    elif svc == "unlock":
        pin, _before = ks.unlock(order_no=order, actor=actor, serial=serial)
        flow.pin = pin
    elif svc == "cancel":
        ks.cancel(order_no=order, actor=actor, serial=serial, reason=_cancel_reason(inputs))
    elif svc == "seal":
        if rec is not None and rec.seal_der and not d.get("seal_change", True):
            raise _err("one seal per certificate: this key has a seal already", "visit.one_seal")
        ks.apply_seal(
            order_no=order,
            actor=actor,
            user_pin=_pin(inputs),
            seal=_seal_request(flow),
            serial=serial,
        )
    _recertified_events(flow, serial)
    return _key_info(flow, serial)


def agent_digest(id_number: str) -> str:
    """How the hub's KMC audit names the agent of a recovery: a digest, never the ID number."""
    return hashlib.sha256(("kmc-agent:" + id_number.strip().upper()).encode()).hexdigest()[:32]


def _holder_digest(flow: VisitFlow) -> str | None:
    """An individual certificate's holder for the KMC: the digest of the agent's ID number (the
    holder applies in person); unit certificates are held by the unit (USCC), so None."""
    if flow.row()["kind"] != "individual":
        return None
    return agent_digest((flow.data().get("agent") or {}).get("id_number") or "")


def _recertified_events(flow: VisitFlow, serial: str) -> None:
    """``key.encryption_recertified`` (outbox, once per visit and service): a renewal or change
    of this visit gave the escrowed encryption key a new certificate (serials only). Also run
    when a resumed visit finds the key job done, so a crash before the event loses nothing."""
    ks = flow.res.keys()
    for service in ("renew", "change"):
        job = ks.repo.job(flow.order_no, service)
        if job is None or job.state != "done" or not job.params.get("escrow"):
            continue
        if not job.enc_cert_der:
            continue
        new = x509.load_der_x509_certificate(job.enc_cert_der)
        signing = x509.load_der_x509_certificate(job.cert_der) if job.cert_der else None
        with flow.res.store.atomic() as db:
            journal.emit(
                db,
                flow.order_no,
                "key.encryption_recertified",
                {
                    "key_serial": serial,
                    "service": service,
                    "signing_serial": format(signing.serial_number, "x") if signing else None,
                    "encryption_serial": format(new.serial_number, "x"),
                    "replaces": job.params.get("enc_serial"),
                    "not_after": clock.to_storage(new.not_valid_after_utc),
                },
                f"key.encryption_recertified:{service}",
                flow.res.training,
            )


def _escrow_event(flow: VisitFlow, serial: str) -> None:
    """``key.encryption_escrowed`` (outbox, once per visit): the KMC delivered an encryption
    key pair onto this key (serials only; key material never leaves the key or the KMC)."""
    rec = flow.res.keys().repo.get(serial)
    if rec is None or not rec.enc_cert_serial:
        return
    with flow.res.store.atomic() as db:
        journal.emit(
            db,
            flow.order_no,
            "key.encryption_escrowed",
            {
                "key_serial": serial,
                "signing_serial": rec.cert_serial,
                "encryption_serial": rec.enc_cert_serial,
            },
            "key.encryption_escrowed",
            flow.res.training,
        )


def _key_recovery(flow: VisitFlow, inputs: dict[str, Any]) -> Out:
    """密钥恢复: the holder's escrowed encryption key back onto their key (never a signing key).

    The agent must be the holder's: the unit of the key (USCC) for unit certificates, the
    holder themself for an individual certificate. The key must be the holder's key from the
    earlier visit, active and unexpired; the hub's KMC checks the signing certificate again and
    refuses a key whose encryption certificate is revoked. A lost key is replaced first (补办),
    which brings a fresh escrowed pair; recovery never goes onto a blank key.
    """
    res = flow.res
    d = flow.data()
    order = flow.order_no
    wanted = str((inputs.get("key") or {}).get("recover") or "encryption").lower()
    if wanted not in ("encryption", "signing"):
        raise _err(
            f'[key] recover = {wanted!r}: only "encryption" keys are recovered',
            "visit.bad_recover",
        )
    if wanted == "signing":
        raise _err(
            "signing keys are never recovered: they were made on the USB key and never left "
            "it, so no copy exists anywhere; a lost signing key means a replacement (补办) with "
            "a new key pair",
            "visit.signing_key_not_recoverable",
        )
    if res.escrow_mode() == "none":
        raise _err(
            "key recovery (密钥恢复) needs a key escrow and none is configured at this "
            "counter; only encryption keys can ever be recovered, never signing keys. "
            "Ask the back office to recover the encryption key",
            "visit.no_escrow",
        )
    serial = d.get("key_serial")
    if not serial:
        raise _err("the earlier visit has no key", "visit.no_key")
    ks = res.keys()
    job = ks.repo.job(order, "key-recovery")
    if job is not None and job.state == "done":
        return _recovered(flow, str(serial))
    agent = d.get("agent") or {}
    earlier = res.visit_row(d.get("earlier_order") or "") or {}
    kind = flow.row()["kind"]
    uscc = None
    if kind in ("org", "legal-rep"):
        given = ((inputs.get("unit") or {}).get("uscc") or "").strip().upper()
        uscc = given or (d.get("unit") or {}).get("uscc")
    if (
        kind == "individual"
        and (earlier.get("agent_id_number") or "").upper() != (agent.get("id_number") or "").upper()
    ):
        raise _err(
            "an individual certificate's encryption key is recovered for its holder only: this "
            "ID card is not the holder's",
            "visit.not_holder",
        )
    want_serial = _key_choice(inputs)[1]
    if want_serial:
        _check_serial(flow, want_serial)
    _only_key(flow, str(serial))
    ks.recover_encryption_key(
        order_no=order,
        actor=res.staff_no,
        user_pin=_pin(inputs),
        agent_digest=agent_digest(agent.get("id_number") or ""),
        serial=str(serial),
        uscc=uscc,
    )
    return _recovered(flow, str(serial))


def _check_individual_holder(flow: VisitFlow) -> None:
    """An individual certificate with an escrowed encryption key is renewed, changed or
    recovered by its holder only (the KMC checks the ID digest again): the agent's ID number
    must be the issuing visit's agent's. Refused before the key is touched."""
    if flow.row()["kind"] != "individual":
        return
    d = flow.data()
    earlier = flow.res.visit_row(d.get("earlier_order") or "") or {}
    agent = d.get("agent") or {}
    if (earlier.get("agent_id_number") or "").upper() != (agent.get("id_number") or "").upper():
        raise _err(
            "an individual certificate with an escrowed encryption key is served for its "
            "holder only: this ID card is not the holder's",
            "visit.not_holder",
        )


def _recovered(flow: VisitFlow, serial: str) -> Out:
    rec = flow.res.keys().repo.get(serial)
    enc = rec.enc_cert_serial if rec else None
    with flow.res.store.atomic() as db:
        journal.emit(
            db,
            flow.order_no,
            "key.recovered",
            {
                "key_serial": serial,
                "signing_serial": rec.cert_serial if rec else None,
                "encryption_serial": enc,
                "agent_digest": agent_digest((flow.data().get("agent") or {}).get("id_number", "")),
            },
            "key.recovered",
            flow.res.training,
        )
    detail, data = _key_info(flow, serial)
    info = {"key": "encryption", "encryption_serial": enc}
    return {**detail, "recovered": info}, {**data, "recovered": info}


def _pickup(flow: VisitFlow) -> Out:
    """领取: the key prepared offline under the earlier order, for that visit's agent only."""
    from kiosk.sync import issuance
    from kiosk.visits import offline
    from kiosk.visits.engine import VisitFlow

    d = flow.data()
    res = flow.res
    earlier_order = d["earlier_order"]
    w = offline.waiting_request(res.store.db, earlier_order)
    if w is None:
        raise _err(
            f"no key prepared offline waits under {earlier_order} (kiosk sync status)",
            "visit.nothing_waiting",
        )
    agent_id = (d.get("agent") or {}).get("id_number", "")
    if issuance.agent_digest(agent_id) != w["agent_digest"]:
        raise _err(
            "this ID card is not the agent's who applied; the key can only be handed to them",
            "pickup.wrong_agent",
        )
    if w["state"] == "waiting":
        with contextlib.suppress(KioskError):
            res.sync_once()  # ask the hub now rather than at the worker's next pass
        w = offline.waiting_request(res.store.db, earlier_order) or w
    if w["state"] == "waiting":
        raise _err(
            "the certificate has not arrived from the back office yet; try again later",
            "visit.not_arrived",
        )
    if w["state"] != "handed_over":
        earlier = VisitFlow.resume(res, earlier_order)
        if earlier.next_step() is not None:
            earlier.run_all(dict(earlier.data().get("inputs") or {}))
        issuance.hand_over(res.store.db, w["request_id"], agent_id)
    serial = res.visit_data(earlier_order).get("key_serial")
    if not serial:
        raise _err(f"{earlier_order} has no key yet", "visit.no_key")
    return _key_info(flow, str(serial))


def _refund(flow: VisitFlow) -> Out:
    d = flow.data()
    earlier = flow.res.visit_row(d["earlier_order"])
    assert earlier is not None
    decision = flow.refund_decision(earlier)
    if not decision.eligible:
        raise _err(f"refund refused: {decision.reason}", "visit.refund_refused")
    pay = flow.res.money().payments
    paid = [p for p in pay.payments(earlier["id"]) if p.refundable_fen > 0]
    if not paid:
        raise _err("the earlier visit has nothing left to refund", "visit.nothing_to_refund")
    p = paid[0]
    r = pay.refund(
        p.id,
        p.refundable_fen,
        reason="refund inside the rule",
        requested_by=flow.res.staff_no,
        approved_by=flow.res.staff_no,
        reference=f"{flow.order_no}-refund",
        idempotency_key=f"{flow.order_no}:refund",
    )
    amount = getattr(r, "amount_fen", p.refundable_fen)
    return (
        {"refund_id": r.id, "amount_fen": amount},
        {"refund": {"id": r.id, "amount_fen": amount, "payment_id": p.id}},
    )


def handover(flow: VisitFlow, inputs: dict[str, Any]) -> Out:
    """Hand the key over; print the PIN slip when this visit set a new PIN."""
    d = flow.data()
    serial = d.get("key_serial")
    on = clock.local_today(flow.res.now(), flow.res.settings.counter.timezone).isoformat()
    slip = False
    svc = flow.row()["service"]
    if flow.pin is None and serial and svc in SETS_PIN:
        printed = flow.res.store.db.execute(
            "SELECT 1 FROM pin_slips WHERE visit_id = ? AND token_serial = ?",
            [flow.visit_id, serial],
        ).fetchone()
        if not printed:
            # the PIN set by the key step was lost with the process that set it (it is never
            # stored): the SO sets a fresh one now, so the agent still leaves with a PIN slip
            _only_key(flow, serial)
            flow.pin, _ = flow.res.keys().unlock(
                order_no=f"{flow.order_no}/pin", actor=flow.res.staff_no, serial=serial
            )
    if flow.pin and serial:
        try:
            flow.res.money().queue.print_pin_slip(
                visit_id=flow.visit_id,
                order_no=flow.order_no,
                token_serial=serial,
                pin=flow.pin,
                printed_by=flow.res.staff_no,
            )
            slip = True
            # training: the stand-in printer lives in this process; the step is done only once
            # the paper is out (a kill right after must not lose the agent's only PIN slip)
            flow.res.captured(flow.order_no, "PIN")
        except KioskError as e:
            if e.code != "receipt.pin_slip_once":
                raise
    sim = flow.res.standin()
    if sim is not None and serial and serial in sim.inserted():
        sim.pull(serial)  # the agent takes the key away
    return {"serial": serial, "pin_slip": slip}, {"handover": {"on": on, "serial": serial}}


def visit_json(flow: VisitFlow) -> str:
    return json.dumps(flow.state(), ensure_ascii=False)
