"""After-sale services on the holder's key: renew (续期), change (变更), seal (电子印章), cancel
(注销). A renewal or change puts a new certificate on the key's existing pair (the seal re-bound,
the old certificate revoked); see :mod:`kiosk.keys.issuing` for a replacement and
:mod:`kiosk.keys.pins` for an unlock."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from hardware.token import KeyInfo, KeySession
from kiosk.contracts.subject import SubjectData
from kiosk.domain import validity
from kiosk.errors import TokenError
from kiosk.keys.context import KeyContext, StepFn, StepOut
from kiosk.keys.escrow import recert_escrow_plan
from kiosk.keys.lifecycle import KeyState
from kiosk.keys.model import (
    RECERT_ESCROW_STEPS,
    RECERT_STEPS,
    SEAL_APPLICATION,
    SEAL_LABEL,
    IssueResult,
    KeyServiceError,
    SealRequest,
    cn_of,
    seal_es_id,
    seal_request_of,
    serial_hex,
)
from kiosk.keys.pins import login_guard, so_pin_of
from kiosk.keys.repository import KeyJob, KeyRecord
from kiosk.keys.tokenops import check_cert_matches, csr_on_key, make_seal, verify_on_key

log = logging.getLogger("kiosk.keys")


@dataclass
class RecertRun:
    """One run of a renewal or change: a new certificate on the key's existing pair, the seal
    re-bound, the old certificate revoked; with ``escrow`` in the job's params, the escrowed
    encryption key certified again (:data:`RECERT_ESCROW_STEPS`).

    Attributes:
        ctx: the key services' collaborators and journal.
        job: the ``renew`` or ``change`` job.
        key: the holder's key in the reader.
        rec: the key's record as it was before this job.
        user_pin: the holder's PIN (asked for this visit; never stored).
        subject: the subject of the new certificate.
        not_before, not_after: its validity.
        revoke_reason: why the old certificate is revoked (RFC 5280 name).
        seal: a new seal for the key; None re-binds the key's own seal, if any.
        session: the one user session the steps share (opened when first needed).
    """

    ctx: KeyContext
    job: KeyJob
    key: KeyInfo
    rec: KeyRecord
    user_pin: str
    subject: SubjectData
    not_before: dt.datetime
    not_after: dt.datetime
    revoke_reason: str
    seal: SealRequest | None = None
    session: KeySession | None = None
    held: contextlib.ExitStack[bool | None] = field(default_factory=contextlib.ExitStack)

    @property
    def steps(self) -> tuple[str, ...]:
        """The journal's steps of this job."""
        return RECERT_STEPS + (RECERT_ESCROW_STEPS if self.job.params.get("escrow") else ())

    @property
    def key_id(self) -> bytes:
        """The CKA_ID of the key's signing pair."""
        assert self.rec.key_id is not None
        return self.rec.key_id

    def user_session(self) -> KeySession:
        """The holder's session; a locked PIN suspends the key (see :func:`pins.login_guard`)."""
        if self.session is None:
            ctx, key = self.ctx, self.key
            try:
                self.session = self.held.enter_context(
                    ctx.tokens.session(key.serial, user_pin=self.user_pin, rw=True)
                )
            except TokenError as e:
                login_guard(ctx, key.serial, "system", self.job.order_no)(e)
                raise
        return self.session

    # -- the steps (RECERT_STEPS) --------------------------------------------------------------

    def csr(self) -> StepOut:
        return {}, {"csr_der": csr_on_key(self.user_session(), self.key_id, self.job.order_no)}

    def certify(self) -> StepOut:
        ctx, rec = self.ctx, self.rec
        j = ctx.reload(self.job)
        if j.cert_der:
            return {"kept": True}, {}
        assert j.csr_der is not None
        cert = ctx.issuer.issue(
            j.csr_der,
            rec.kind or "org",
            self.subject,
            self.not_before,
            self.not_after,
            request_id=ctx.request_id(j, "certify"),
        )
        check_cert_matches(cert, j.csr_der)
        c = x509.load_der_x509_certificate(cert)
        return {"cert_serial": f"{c.serial_number:x}"}, {"cert_der": cert}

    def write_cert(self) -> StepOut:
        j = self.ctx.reload(self.job)
        assert j.cert_der is not None
        self.user_session().write_certificate(self.key_id, j.cert_der, label=cn_of(j.cert_der))
        return {}, {}

    def write_seal(self) -> StepOut:
        rec = self.rec
        j = self.ctx.reload(self.job)
        assert j.cert_der is not None
        want = self.seal or (seal_request_of(rec.seal_der) if rec.seal_der else None)
        if want is None:
            return {"seal": "none"}, {}
        der = j.seal_der or make_seal(
            self.ctx,
            want,
            j.cert_der,
            f"{j.order_no}:{j.service}:seal",
            es_id=rec.seal_es_id or seal_es_id(j.order_no),
        )
        self.user_session().write_data(SEAL_LABEL, SEAL_APPLICATION, der)
        return {"seal_bytes": len(der)}, {"seal_der": der}

    def verify(self) -> StepOut:
        j = self.ctx.reload(self.job)
        assert j.cert_der is not None
        verify_on_key(self.user_session(), self.key_id, j.cert_der)
        return {}, {}

    def revoke_old(self) -> StepOut:
        rec, revoke_reason = self.rec, self.revoke_reason
        j = self.ctx.reload(self.job)
        assert j.cert_der is not None
        new_serial = x509.load_der_x509_certificate(j.cert_der).serial_number
        if rec.cert_serial and int(rec.cert_serial, 16) != new_serial:
            self.ctx.issuer.revoke(
                int(rec.cert_serial, 16),
                revoke_reason,
                request_id=f"{j.order_no}:{j.service}:revoke",
            )
        return {"revoked": rec.cert_serial, "reason": revoke_reason}, {}

    # -- the run -------------------------------------------------------------------------------

    def plan(self) -> list[tuple[str, StepFn]]:
        """The steps in order, each with its journal name."""
        plan: list[tuple[str, StepFn]] = [
            ("csr", self.csr),
            ("certify", self.certify),
            ("write_cert", self.write_cert),
            ("write_seal", self.write_seal),
            ("verify", self.verify),
            ("revoke_old", self.revoke_old),
        ]
        if self.job.params.get("escrow"):
            plan += recert_escrow_plan(
                self.ctx, self.job, self.key_id, self.user_session, self.revoke_reason
            )
        return plan

    def run(self) -> KeyJob:
        """Every step not yet journalled done, in order; the job as it ends."""
        assert self.rec.key_id is not None and self.rec.kind is not None
        ctx, steps = self.ctx, self.steps
        job = self.job
        with self.held:
            for name, fn in self.plan():
                job = ctx.run_step(job, name, steps, fn)
        return ctx.reload(job)


def _recertify(
    ctx: KeyContext,
    job: KeyJob,
    key: KeyInfo,
    rec: KeyRecord,
    *,
    user_pin: str,
    subject: SubjectData,
    not_before: dt.datetime,
    not_after: dt.datetime,
    revoke_reason: str,
    seal: SealRequest | None = None,
) -> KeyJob:
    """Run (or resume) a renewal's or change's steps; see :class:`RecertRun`."""
    return RecertRun(
        ctx, job, key, rec, user_pin, subject, not_before, not_after, revoke_reason, seal
    ).run()


def _finish_recert(
    ctx: KeyContext, job: KeyJob, serial: str, subject: SubjectData, **extra: Any
) -> None:
    j = ctx.reload(job)
    assert j.cert_der is not None
    cert = x509.load_der_x509_certificate(j.cert_der)
    with ctx.repo.db.atomic():
        fields: dict[str, Any] = {
            "subject": subject.to_dict(),
            "unit_uscc": subject.uscc or None,
            "cert_serial": f"{cert.serial_number:x}",
            "cert_not_after": cert.not_valid_after_utc,
            "cert_der": j.cert_der,
            **extra,
        }
        if j.seal_der:
            fields["seal_der"] = j.seal_der
        if j.params.get("escrow") and j.enc_cert_der:
            fields["enc_cert_der"] = j.enc_cert_der
            fields["enc_cert_serial"] = serial_hex(j.enc_cert_der)
        ctx.repo.upsert(serial, **fields)
        ctx.repo.update_job(j.id, state="done")


def _recert_params(ctx: KeyContext, rec: KeyRecord, agent_digest: str | None) -> dict[str, Any]:
    """Job params of a renewal or change: whether the escrowed encryption certificate
    follows (a key with one, and escrow configured), and the one it replaces."""
    if ctx.escrow is None or not rec.enc_cert_der or not rec.enc_cert_serial:
        if rec.enc_cert_serial:
            log.warning(
                "key %s carries an escrowed encryption certificate but no key escrow is "
                "configured: its encryption certificate is not renewed",
                rec.serial,
            )
        return {"escrow": False}
    return {
        "escrow": True,
        "enc_serial": rec.enc_cert_serial,
        "enc_cert": rec.enc_cert_der.hex(),
        "agent_digest": agent_digest,
    }


def renew(
    ctx: KeyContext,
    *,
    order_no: str,
    actor: str,
    user_pin: str,
    years: int,
    serial: str | None = None,
    uscc: str | None = None,
    expired_renewal: str = "renew",
    agent_digest: str | None = None,
) -> IssueResult:
    """Renew: a new certificate on the same key, extended from the later of today and the
    old expiry by ``years`` (no paid day is lost); the seal is re-bound; the old
    certificate is revoked as superseded. ``expired_renewal`` is the program's rule
    (``"reapply"``: an expired certificate cannot be renewed, 平安采购). A key with an
    escrowed encryption pair (and escrow configured) also gets a new encryption certificate
    for that pair (:data:`RECERT_ESCROW_STEPS`; ``agent_digest``: the agent's ID digest,
    which the KMC checks against an individual holder's).

    Raises:
        KeyServiceError / TokenError: see :meth:`holder_key`; ``token.wrong_pin``;
            ``keys.reapply`` when the program wants a new application.
        DomainError: years outside 1..5.
    """
    key, rec = ctx.holder_key(serial=serial, uscc=uscc)
    now = ctx.clock.now()
    assert rec.cert_not_after is not None
    # the domain rule: from the later of today and the old expiry, so no paid day is lost
    res = validity.renew(now, rec.cert_not_after, years, expired_renewal=expired_renewal)
    if not res.allowed or res.not_after is None:
        raise KeyServiceError(res.en, code="keys.reapply")
    na = res.not_after
    assert isinstance(na, dt.datetime)  # given datetimes, the domain rule returns one
    job = ctx.start_job(
        order_no,
        "renew",
        key.serial,
        {"years": years, **_recert_params(ctx, rec, agent_digest)},
    )
    subject = SubjectData.from_dict(rec.subject)
    job = _recertify(
        ctx,
        job,
        key,
        rec,
        user_pin=user_pin,
        subject=subject,
        not_before=now,
        not_after=na,
        revoke_reason="superseded",
    )
    _finish_recert(ctx, job, key.serial, subject)
    ctx.repo.bump(key.serial, "renewals")
    return ctx.result_of(job, key.serial)


def change(
    ctx: KeyContext,
    *,
    order_no: str,
    actor: str,
    user_pin: str,
    subject: SubjectData,
    serial: str | None = None,
    uscc: str | None = None,
    agent_digest: str | None = None,
) -> IssueResult:
    """Change: new subject data on the same key, same notAfter; refused when expired
    (renew first). The old certificate is revoked (affiliationChanged); an escrowed
    encryption pair gets a new certificate with the new subject (see :meth:`renew`)."""
    key, rec = ctx.holder_key(
        serial=serial, uscc=uscc, need_unexpired=True, states=(KeyState.ACTIVE,)
    )
    assert rec.cert_not_after is not None
    if ctx.escrow is not None and rec.enc_cert_serial and ctx.repo.job(order_no, "change") is None:
        _same_escrow_holder(rec, subject)
    job = ctx.start_job(
        order_no,
        "change",
        key.serial,
        {"subject": subject.to_dict(), **_recert_params(ctx, rec, agent_digest)},
    )
    job = _recertify(
        ctx,
        job,
        key,
        rec,
        user_pin=user_pin,
        subject=subject,
        not_before=ctx.clock.now(),
        not_after=rec.cert_not_after,
        revoke_reason="affiliationChanged",
    )
    _finish_recert(ctx, job, key.serial, subject)
    return ctx.result_of(job, key.serial)


def apply_seal(
    ctx: KeyContext,
    *,
    order_no: str,
    actor: str,
    user_pin: str,
    seal: SealRequest,
    serial: str | None = None,
    uscc: str | None = None,
) -> bytes:
    """Seal apply/change: write (or replace) the seal object bound to the key's certificate.

    Returns:
        the SESeal written.
    """
    key, rec = ctx.holder_key(
        serial=serial, uscc=uscc, need_unexpired=True, states=(KeyState.ACTIVE,)
    )
    assert rec.cert_der is not None
    job = ctx.start_job(order_no, "seal", key.serial, {"seal": seal.to_params()})
    steps = ("make_seal", "write_seal")
    es_id = rec.seal_es_id or seal_es_id(order_no)
    cert_der = rec.cert_der

    def make() -> StepOut:
        j = ctx.reload(job)
        if j.seal_der:
            return {}, {}
        return {}, {"seal_der": make_seal(ctx, seal, cert_der, f"{order_no}:seal", es_id=es_id)}

    def write() -> StepOut:
        j = ctx.reload(job)
        assert j.seal_der is not None
        with ctx.tokens.session(key.serial, user_pin=user_pin, rw=True) as s:
            s.write_data(SEAL_LABEL, SEAL_APPLICATION, j.seal_der)
        return {"seal_bytes": len(j.seal_der)}, {}

    job = ctx.run_step(job, "make_seal", steps, make)
    job = ctx.run_step(job, "write_seal", steps, write)
    j = ctx.reload(job)
    ctx.repo.upsert(key.serial, seal_der=j.seal_der, seal_es_id=es_id)
    ctx.repo.update_job(j.id, state="done")
    assert j.seal_der is not None
    return j.seal_der


def cancel(
    ctx: KeyContext,
    *,
    order_no: str,
    actor: str,
    reason: str = "cessationOfOperation",
    serial: str | None = None,
    uscc: str | None = None,
) -> None:
    """Cancel: revoke the certificate, then wipe the key's objects; the key is terminated.

    Raises:
        CaError: ``ca.bad_reason`` for a reason that is not an RFC 5280 name.
    """
    key, rec = ctx.holder_key(serial=serial, uscc=uscc)
    job = ctx.start_job(order_no, "cancel", key.serial, {"reason": reason})
    steps = ("revoke", "wipe_objects")

    def revoke() -> StepOut:
        if rec.cert_serial:
            ctx.issuer.revoke(int(rec.cert_serial, 16), reason, request_id=f"{order_no}:cancel")
        if rec.enc_cert_serial:
            # the encryption certificate goes with the signing one (双证书); its escrowed key
            # is then never recovered
            ctx.issuer.revoke(
                int(rec.enc_cert_serial, 16), reason, request_id=f"{order_no}:cancel:enc"
            )
        return {"cert_serial": rec.cert_serial, "reason": reason}, {}

    def wipe_objects() -> StepOut:
        pin = so_pin_of(ctx, rec)
        ctx.tokens.init_token(ctx.tokens.key(key.serial), so_pin=pin, current_so_pin=pin, label="")
        return {}, {}

    job = ctx.run_step(job, "revoke", steps, revoke)
    job = ctx.run_step(job, "wipe_objects", steps, wipe_objects)
    with ctx.repo.db.atomic():
        ctx.repo.transition(
            key.serial,
            KeyState.TERMINATED,
            actor=actor,
            reason=f"cancelled ({reason})",
            order_no=order_no,
            label="",
            cert_der=None,
            seal_der=None,
            enc_cert_der=None,
        )
        ctx.repo.update_job(job.id, state="done")


def _same_escrow_holder(rec: KeyRecord, subject: SubjectData) -> None:
    """Refuse, before the key is touched, a change that would make the holder of the key's
    escrowed encryption pair someone else (the KMC would refuse its new certificate): another
    unit (USCC), or another person on a legal representative's certificate. Those are new
    applications (新办), which bring a fresh escrowed pair."""
    old = SubjectData.from_dict(rec.subject)
    other_unit = rec.kind in ("org", "legal-rep") and old.uscc.upper() != subject.uscc.upper()
    other_person = rec.kind == "legal-rep" and old.person_name != subject.person_name
    if other_unit or other_person:
        raise KeyServiceError(
            f"Key {rec.serial} carries an escrowed encryption key of "
            f"{old.person_name if other_person else old.uscc}; a change to "
            f"{subject.person_name if other_person else subject.uscc} makes another holder: "
            "apply for a new certificate (新办) instead",
            code="keys.other_holder",
        )
