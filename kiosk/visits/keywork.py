"""The key step of each service, and the hand-over (PIN slip), on top of KeyService.

Every call carries the visit's order number: KeyService journals its own job per order and
service and resumes it when called again, so a re-run after a crash never makes a second key
pair, certificate or seal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from cryptography import x509

from kiosk.contracts.subject import SubjectData
from kiosk.domain import clock, validity
from kiosk.domain.services import SETS_PIN, must_reapply, reapply_reason
from kiosk.domain.types import Program, Service
from kiosk.errors import KioskError
from kiosk.visits import journal
from kiosk.visits.state import (
    CertificateData,
    FlowError,
    HandoverData,
    KeyData,
    RecoveredData,
    RefundData,
    StepInputs,
    StepResult,
    VisitData,
)

if TYPE_CHECKING:
    from kiosk.keys.repository import KeyRecord
    from kiosk.keys.service import SealRequest
    from kiosk.visits.running import RunningVisit


def _err(msg: str, code: str) -> KioskError:
    return FlowError(msg, code=code)


def _cert_info(der: bytes | None) -> CertificateData | None:
    if not der:
        return None
    c = x509.load_der_x509_certificate(der)
    return CertificateData(
        serial=format(c.serial_number, "x"),
        subject=c.subject.rfc4514_string(),
        not_before=clock.to_storage(c.not_valid_before_utc),
        not_after=clock.to_storage(c.not_valid_after_utc),
    )


def _key_info(flow: RunningVisit, serial: str, **more: Any) -> StepResult:
    """The key step's result: the key and its certificate as they are now (``more``: extra
    data, also shown in the journal's detail)."""
    rec = flow.res.keys().repo.get(serial)
    cert = _cert_info(rec.cert_der) if rec else None
    key = KeyData(serial=serial, state=rec.state.value if rec else "unknown")
    detail: dict[str, Any] = {"key": serial, "cert": cert.serial if cert else None}
    detail.update({k: v.dump() for k, v in more.items()})
    return StepResult.of(detail, key_serial=serial, key=key, certificate=cert, **more)


def _subject(flow: RunningVisit) -> SubjectData:
    d = flow.visit_data()
    unit, agent = d.unit, d.agent
    kind = flow.row()["kind"]
    agent_name = (agent.name if agent else None) or ""
    if kind == "org":
        return SubjectData(
            unit_name=(unit.name if unit else None) or "",
            uscc=(unit.uscc if unit else None) or "",
        )
    if kind == "legal-rep":
        return SubjectData(
            unit_name=(unit.name if unit else None) or "",
            uscc=(unit.uscc if unit else None) or "",
            person_name=(unit.legal_rep if unit else None) or agent_name,
        )
    return SubjectData(person_name=(unit.person_name if unit else None) or agent_name)


def _end_of_day(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), ZoneInfo(tz)).astimezone(dt.UTC)


def _only_key(flow: RunningVisit, serial: str | None) -> None:
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


def _key_choice(inputs: StepInputs) -> tuple[bool, str | None]:
    """The file's ``[key] blank`` / ``[key] serial`` (``kiosk visit run`` checked their form)."""
    k = inputs.key
    serial = str(k.serial).strip().lower() if k.serial else None
    return bool(k.blank), serial


def _check_blank(flow: RunningVisit) -> None:
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


def _check_serial(flow: RunningVisit, serial: str) -> None:
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


def _seal_request(flow: RunningVisit) -> SealRequest | None:
    from kiosk.keys.service import SealRequest

    d = flow.visit_data()
    pic = d.seal_picture
    if not pic:
        return None
    name = (d.unit.name if d.unit else None) or "seal"
    return SealRequest(name, bytes.fromhex(pic.png_hex), int(pic.width_mm), int(pic.height_mm))


def _pin(inputs: StepInputs) -> str:
    pin = str(inputs.key.pin or "")
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


def _condition(inputs: StepInputs) -> bool:
    """Whether the replaced key was lost (default, as before ``[key] condition`` existed)."""
    cond = str(inputs.key.condition or "lost")
    if cond not in CONDITIONS:
        raise _err(
            f"[key] condition must be one of {', '.join(CONDITIONS)}, not {cond!r}",
            "visit.bad_condition",
        )
    return cond == "lost"


def _cancel_reason(inputs: StepInputs) -> str:
    reason = str(inputs.key.reason or "cessationOfOperation")
    if reason not in CANCEL_REASONS:
        raise _err(
            f"[key] reason must be one of {', '.join(CANCEL_REASONS)}, not {reason!r}",
            "visit.bad_reason",
        )
    return reason


@dataclass(frozen=True)
class KeyWork:
    """What every service's key work starts from.

    Attributes:
        flow: the visit.
        inputs: the step's inputs (``[key]`` …).
        data: the visit's data as the key step found it.
        order: the visit's order number (each key job is journalled under it).
        actor: who serves (recorded by the key service).
        program: the visit's program.
        want_blank: ``[key] blank``: the reader must hold a blank key.
        want_serial: ``[key] serial``: the key the visit must work on.
    """

    flow: RunningVisit
    inputs: StepInputs
    data: VisitData
    order: str
    actor: str
    program: Program
    want_blank: bool
    want_serial: str | None


@dataclass(frozen=True)
class OnKey:
    """The key work of a service on the earlier visit's key, ready to run.

    Attributes:
        job: what the key work starts from.
        serial: the key's serial.
        record: the key service's record of it (None: not known here).
        expired: whether its certificate has expired.
        digest: the agent's digest for the KMC's audit.
    """

    job: KeyWork
    serial: str
    record: KeyRecord | None
    expired: bool
    digest: str


def run(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """The key step of the visit's service, from the service tables below.

    Raises:
        FlowError: ``visit.key_mismatch`` and each service's refusals (``visit.*``);
            ``keys.*`` / ``token.*`` from the key service pass through.
    """
    row, d = flow.row(), flow.visit_data()
    svc = str(row["service"])
    want_blank, want_serial = _key_choice(inputs)
    if want_serial and want_serial != str(d.key_serial or "").lower():
        raise _err(
            f"[key] serial {want_serial} is not the key of {d.earlier_order} "
            f"({d.key_serial or 'none'})",
            "visit.key_mismatch",
        )
    job = KeyWork(
        flow=flow,
        inputs=inputs,
        data=d,
        order=str(row["order_no"]),
        actor=flow.res.staff_no,
        program=flow.program(),
        want_blank=want_blank,
        want_serial=want_serial,
    )
    own = _OWN_STEP.get(svc)
    if own is not None:
        return own(job)
    serial = d.key_serial
    if not serial:
        raise _err("the earlier visit has no key", "visit.no_key")
    on = _on_key(job, svc, serial)
    if on is not None:  # None: a resumed visit whose key job is done already
        _ON_KEY[svc](on)
    _recertified_events(flow, serial)
    return _key_info(flow, serial)


def _new(job: KeyWork) -> StepResult:
    """新申请: a key pair, certificate (and seal) onto a blank key."""
    from kiosk.keys.service import IssueRequest

    flow, d, res = job.flow, job.data, job.flow.res
    ks = res.keys()
    tz = res.settings.counter.timezone
    kj = ks.repo.job(job.order, "new")
    if kj is not None and kj.state == "done" and kj.key_serial:
        return _key_info(flow, kj.key_serial)
    if kj is None or not kj.key_serial:
        if job.want_blank:
            _check_blank(flow)
        else:
            _only_key(flow, None)
    else:
        _only_key(flow, kj.key_serial)
    pay_ok, why = res.money().payments.can_issue(flow.visit_id) if d.payment else (True, "")
    if not pay_ok:
        raise _err(why, "visit.not_paid")
    v = validity.after_service(Service.NEW, flow.today(), years=d.years)
    assert v.not_after is not None  # a new certificate always has one
    req = IssueRequest(
        order_no=job.order,
        kind=flow.row()["kind"],
        subject=_subject(flow),
        not_before=res.now(),
        not_after=_end_of_day(v.not_after, tz),
        seal=_seal_request(flow),
        holder_digest=_holder_digest(flow),
    )
    result = ks.issue_new(req, actor=job.actor)
    flow.pin = result.user_pin
    _escrow_event(flow, result.serial)
    return _key_info(flow, result.serial)


def _replace(job: KeyWork) -> StepResult:
    """补办: the earlier key's certificate revoked, a new one on a blank key."""
    flow = job.flow
    serial = job.data.key_serial
    if not serial:
        raise _err("the earlier visit has no key", "visit.no_key")
    ks = flow.res.keys()
    kj = ks.repo.job(job.order, "replace")
    if kj is not None and kj.state == "done" and kj.key_serial:
        return _key_info(flow, kj.key_serial)
    if job.want_blank and (kj is None or not kj.key_serial):
        _check_blank(flow)
    else:
        _only_key(flow, None)
    result = ks.replace(
        order_no=job.order,
        actor=job.actor,
        old_serial=serial,
        lost=_condition(job.inputs),
        holder_digest=_holder_digest(flow),
    )
    flow.pin = result.user_pin
    _escrow_event(flow, result.serial)
    return _key_info(flow, result.serial)


def _on_key(job: KeyWork, svc: str, serial: str) -> OnKey | None:
    """Put the earlier key in the reader and check it still fits what was quoted and who
    asks; None when the service's key job of this order is done already (a resumed visit)."""
    flow, d = job.flow, job.data
    res = flow.res
    if job.want_serial:
        _check_serial(flow, job.want_serial)
    _only_key(flow, serial)
    ks = res.keys()
    done_job = ks.repo.job(job.order, svc)
    if done_job is not None and done_job.state == "done":
        return None
    digest = agent_digest((d.agent.id_number if d.agent else None) or "")
    rec = ks.repo.get(serial)
    charged_seal = svc == "renew" or (svc == "change" and d.renew_first)
    if charged_seal and rec is not None and (rec.seal_der is not None) != d.seal:
        raise _err(
            f"the seal on key {serial} changed after this visit was opened and quoted "
            f"({'with' if d.seal else 'without'} a seal): the renewal would re-bind a "
            "seal not paid for; staff refund this visit and open a new one",
            "visit.seal_changed",
        )
    if svc in ("renew", "change") and rec is not None and rec.enc_cert_serial:
        _check_individual_holder(flow)
    expired = rec is not None and rec.cert_not_after is not None and rec.cert_not_after <= res.now()
    return OnKey(job=job, serial=serial, record=rec, expired=bool(expired), digest=digest)


def _renew(on: OnKey) -> None:
    """续期: a new certificate for the key (and its seal) for the years paid."""
    job = on.job
    if must_reapply(job.program, "renew", expired=on.expired):
        raise _err(reapply_reason(job.program, "renew"), "visit.reapply")
    job.flow.res.keys().renew(
        order_no=job.order,
        actor=job.actor,
        user_pin=_pin(job.inputs),
        years=job.data.years or 1,
        serial=on.serial,
        expired_renewal=job.program.expired_renewal,
        agent_digest=on.digest,
    )


def _change(on: OnKey) -> None:
    """变更: the certificate re-issued with the unit's new details (an expired one renewed in
    the same visit first: the domain rule)."""
    job = on.job
    ks = job.flow.res.keys()
    if on.expired or job.data.renew_first:
        if must_reapply(job.program, "change", expired=True):
            raise _err(reapply_reason(job.program, "change"), "visit.reapply")
        ks.renew(
            order_no=job.order,
            actor=job.actor,
            user_pin=_pin(job.inputs),
            years=job.data.years or 1,
            serial=on.serial,
            expired_renewal=job.program.expired_renewal,
            agent_digest=on.digest,
        )
    ks.change(
        order_no=job.order,
        actor=job.actor,
        user_pin=_pin(job.inputs),
        subject=_subject(job.flow),
        serial=on.serial,
        agent_digest=on.digest,
    )


def _unlock(on: OnKey) -> None:
    """解锁: a new user PIN (the agent leaves with its slip)."""
    job = on.job
    pin, _before = job.flow.res.keys().unlock(order_no=job.order, actor=job.actor, serial=on.serial)
    job.flow.pin = pin


def _cancel(on: OnKey) -> None:
    """注销: the certificate revoked for the holder's reason."""
    job = on.job
    job.flow.res.keys().cancel(
        order_no=job.order, actor=job.actor, serial=on.serial, reason=_cancel_reason(job.inputs)
    )


def _seal(on: OnKey) -> None:
    """电子印章: a seal (added or changed) bound to the key's certificate."""
    job = on.job
    if on.record is not None and on.record.seal_der and not job.data.seal_change:
        raise _err("one seal per certificate: this key has a seal already", "visit.one_seal")
    seal = _seal_request(job.flow)
    if seal is None:  # the plan puts the seal step first; a journal without its picture is refused
        raise _err(
            "no seal picture: the imprint must be checked at the seal step first", "visit.no_seal"
        )
    job.flow.res.keys().apply_seal(
        order_no=job.order,
        actor=job.actor,
        user_pin=_pin(job.inputs),
        seal=seal,
        serial=on.serial,
    )


def agent_digest(id_number: str) -> str:
    """How the hub's KMC audit names the agent of a recovery: a digest, never the ID number."""
    return hashlib.sha256(("kmc-agent:" + id_number.strip().upper()).encode()).hexdigest()[:32]


def _holder_digest(flow: RunningVisit) -> str | None:
    """An individual certificate's holder for the KMC: the digest of the agent's ID number (the
    holder applies in person); unit certificates are held by the unit (USCC), so None."""
    if flow.row()["kind"] != "individual":
        return None
    agent = flow.visit_data().agent
    return agent_digest((agent.id_number if agent else None) or "")


def _recertified_events(flow: RunningVisit, serial: str) -> None:
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


def _escrow_event(flow: RunningVisit, serial: str) -> None:
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


def _key_recovery(work: KeyWork) -> StepResult:
    """密钥恢复: the holder's escrowed encryption key back onto their key (never a signing key).

    The agent must be the holder's: the unit of the key (USCC) for unit certificates, the
    holder themself for an individual certificate. The key must be the holder's key from the
    earlier visit, active and unexpired; the hub's KMC checks the signing certificate again and
    refuses a key whose encryption certificate is revoked. A lost key is replaced first (补办),
    which brings a fresh escrowed pair; recovery never goes onto a blank key.
    """
    flow, inputs, d = work.flow, work.inputs, work.data
    res = flow.res
    order = work.order
    wanted = str(inputs.key.recover or "encryption").lower()
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
    serial = d.key_serial
    if not serial:
        raise _err("the earlier visit has no key", "visit.no_key")
    ks = res.keys()
    job = ks.repo.job(order, "key-recovery")
    if job is not None and job.state == "done":
        return _recovered(flow, str(serial))
    agent_id = (d.agent.id_number if d.agent else None) or ""
    earlier = res.visit_row(d.earlier_order or "") or {}
    kind = flow.row()["kind"]
    uscc = None
    if kind in ("org", "legal-rep"):
        given = (inputs.unit.uscc or "").strip().upper()
        uscc = given or (d.unit.uscc if d.unit else None)
    if kind == "individual" and (earlier.get("agent_id_number") or "").upper() != agent_id.upper():
        raise _err(
            "an individual certificate's encryption key is recovered for its holder only: this "
            "ID card is not the holder's",
            "visit.not_holder",
        )
    if work.want_serial:
        _check_serial(flow, work.want_serial)
    _only_key(flow, str(serial))
    ks.recover_encryption_key(
        order_no=order,
        actor=res.staff_no,
        user_pin=_pin(inputs),
        agent_digest=agent_digest(agent_id),
        serial=str(serial),
        uscc=uscc,
    )
    return _recovered(flow, str(serial))


def _check_individual_holder(flow: RunningVisit) -> None:
    """An individual certificate with an escrowed encryption key is renewed, changed or
    recovered by its holder only (the KMC checks the ID digest again): the agent's ID number
    must be the issuing visit's agent's. Refused before the key is touched."""
    if flow.row()["kind"] != "individual":
        return
    d = flow.visit_data()
    earlier = flow.res.visit_row(d.earlier_order or "") or {}
    agent_id = (d.agent.id_number if d.agent else None) or ""
    if (earlier.get("agent_id_number") or "").upper() != agent_id.upper():
        raise _err(
            "an individual certificate with an escrowed encryption key is served for its "
            "holder only: this ID card is not the holder's",
            "visit.not_holder",
        )


def _recovered(flow: RunningVisit, serial: str) -> StepResult:
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
                "agent_digest": agent_digest(_agent_id(flow)),
            },
            "key.recovered",
            flow.res.training,
        )
    return _key_info(flow, serial, recovered=RecoveredData(key="encryption", encryption_serial=enc))


def _agent_id(flow: RunningVisit) -> str:
    """The agent's ID number as identified ("" before the identify step)."""
    agent = flow.visit_data().agent
    return (agent.id_number if agent else None) or ""


def _pickup(work: KeyWork) -> StepResult:
    """领取: the key prepared offline under the earlier order, for that visit's agent only."""
    from kiosk.sync import issuance
    from kiosk.visits import offline

    flow = work.flow
    res = flow.res
    earlier_order = str(work.data.earlier_order)
    w = offline.waiting_request(res.store.db, earlier_order)
    if w is None:
        raise _err(
            f"no key prepared offline waits under {earlier_order} (kiosk sync status)",
            "visit.nothing_waiting",
        )
    agent_id = _agent_id(flow)
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
        flow.finish_earlier(earlier_order)
        issuance.hand_over(res.store.db, w["request_id"], agent_id)
    serial = res.visit_data(earlier_order).get("key_serial")
    if not serial:
        raise _err(f"{earlier_order} has no key yet", "visit.no_key")
    return _key_info(flow, str(serial))


def _refund(work: KeyWork) -> StepResult:
    """退费: the earlier visit's payment refunded, inside the refund rule."""
    flow = work.flow
    earlier = flow.res.visit_row(str(work.data.earlier_order))
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
    return StepResult.of(
        {"refund_id": r.id, "amount_fen": amount},
        refund=RefundData(id=r.id, amount_fen=amount, payment_id=p.id),
    )


def handover(flow: RunningVisit, inputs: StepInputs) -> StepResult:
    """Hand the key over; print the PIN slip when this visit set a new PIN."""
    serial = flow.visit_data().key_serial
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
    return StepResult.of(
        {"serial": serial, "pin_slip": slip}, handover=HandoverData(on=on, serial=serial)
    )


#: Services whose key step is their own (no earlier key put in the reader first, or a key of
#: their own): the whole step.
_OWN_STEP: dict[str, Callable[[KeyWork], StepResult]] = {
    "new": _new,
    "replace": _replace,
    "key-recovery": _key_recovery,
    "refund": _refund,
    "pickup": _pickup,
}

#: Services on the earlier visit's key: the work once the key is in the reader and checked
#: (:func:`_on_key`); the step then reports the key and its certificate.
_ON_KEY: dict[str, Callable[[OnKey], None]] = {
    "renew": _renew,
    "change": _change,
    "unlock": _unlock,
    "cancel": _cancel,
    "seal": _seal,
}
