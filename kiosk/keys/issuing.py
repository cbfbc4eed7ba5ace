"""Issuing on a blank key (新办) and replacing a lost or damaged key (补办), as named steps.

A new issue is a job of :data:`~kiosk.keys.model.ISSUE_STEPS` (then
:data:`~kiosk.keys.model.ESCROW_STEPS` with key escrow). :class:`IssueRun` holds what one run
of that job knows in memory (the key, the user PIN it set, the open user session, the public
key just made); each step is one of its methods, run through the journal by
:meth:`kiosk.keys.context.KeyContext.run_step`, so a crash resumes at the first step not done.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography import x509

from hardware.token import KeyAlgorithm, KeyInfo, KeySession
from kiosk.contracts.subject import Profile, SubjectData, subject_name
from kiosk.errors import TokenError
from kiosk.keys.context import KeyContext, StepFn, StepOut
from kiosk.keys.escrow import escrow_plan
from kiosk.keys.issuer import EscrowedKey
from kiosk.keys.lifecycle import KeyState
from kiosk.keys.model import (
    ESCROW_STEPS,
    ISSUE_STEPS,
    SEAL_APPLICATION,
    SEAL_LABEL,
    IssueRequest,
    IssueResult,
    KeyServiceError,
    SealRequest,
    cn_of,
    seal_es_id,
    seal_request_of,
    serial_hex,
)
from kiosk.keys.repository import KeyJob
from kiosk.keys.tokenops import check_cert_matches, csr_on_key, make_seal, verify_on_key
from kiosk.keys.vault import random_digits, random_so_pin

log = logging.getLogger("kiosk.keys")


@dataclass
class IssueRun:
    """One run of an issuing job (``new`` or ``replace``): the steps and what they share.

    Attributes:
        ctx: the key services' collaborators and journal.
        job: the job as the journal has it: :meth:`run_steps` keeps the one each step's
            journal write returns (read back in that write's transaction), so the steps read
            what earlier ones stored without re-reading the row.
        key: the key being written.
        actor: who runs it (for the key's lifecycle log).
        pin: the user PIN set by ``init_pin`` in this run; None until then (never stored: a
            resumed run sets a fresh one).
        session: the one user session (one login) every step after the PIN shares: logins
            are the slow part of a PKCS#11 module (SoftHSM derives a key from the PIN on each).
        spki: the public key ``keygen`` just made (the CSR then need not read it back).
    """

    ctx: KeyContext
    job: KeyJob
    key: KeyInfo
    actor: str
    pin: str | None = None
    session: KeySession | None = None
    spki: bytes | None = None
    held: contextlib.ExitStack[bool | None] = field(default_factory=contextlib.ExitStack)

    @property
    def steps(self) -> tuple[str, ...]:
        """The journal's steps of this job."""
        return ISSUE_STEPS + (ESCROW_STEPS if self.job.params.get("escrow") else ())

    @cached_property
    def kind(self) -> str:
        """The certificate kind (parsed once: a job's params do not change while it runs)."""
        return str(self.job.params["kind"])

    @cached_property
    def subject(self) -> SubjectData:
        """The unit and/or person the certificate names."""
        return SubjectData.from_dict(self.job.params["subject"])

    @cached_property
    def algorithm(self) -> KeyAlgorithm:
        """The key pair made on the key."""
        return KeyAlgorithm(self.job.params["algorithm"])

    @cached_property
    def not_before(self) -> dt.datetime:
        """Start of the certificate's validity."""
        return dt.datetime.fromisoformat(self.job.params["not_before"])

    @cached_property
    def not_after(self) -> dt.datetime:
        """End of the certificate's validity."""
        return dt.datetime.fromisoformat(self.job.params["not_after"])

    # -- what the steps share ------------------------------------------------------------------

    def user_session(self) -> KeySession:
        """The run's user session, opened (with a fresh PIN on a resumed run) when first needed."""
        if self.session is None:
            pin = self.user_pin()
            self.session = self.held.enter_context(
                self.ctx.tokens.session(self.key.serial, user_pin=pin, rw=True)
            )
        return self.session

    def so_pin(self) -> str:
        """The key's SO PIN: the key's record's, else the one the job stored before init."""
        ctx, job = self.ctx, self.job
        serial = self.key.serial
        rec = ctx.repo.get(serial)
        if rec is not None and rec.so_pin_enc:
            return ctx.vault.open(rec.so_pin_enc, serial)
        if job.so_pin_enc:
            return ctx.vault.open(job.so_pin_enc, "job:" + job.order_no)
        raise KeyServiceError(f"No SO PIN is known for key {serial}", code="keys.no_so_pin")

    def user_pin(self) -> str:
        """The user PIN of this run; a resumed run has the SO set a fresh one first."""
        if self.pin is None:
            # resumed: the earlier PIN was never stored; the SO sets a fresh one
            self.ctx.run_step(self.job, "init_pin", self.steps, self.init_pin, force=True)
        return str(self.pin)

    # -- the steps (ISSUE_STEPS) ---------------------------------------------------------------

    def init_token(self) -> StepOut:
        ctx, job, actor = self.ctx, self.job, self.actor
        k = self.key
        if k.initialised and k.label == job.order_no and job.so_pin_enc:
            # adopted after a crash between C_InitToken and its journal entry
            pin = ctx.vault.open(job.so_pin_enc, "job:" + job.order_no)
        elif k.initialised:
            rec = ctx.repo.get(k.serial)
            if rec is None or rec.so_pin_enc is None:
                raise TokenError(f"Key {k.serial} is not blank", code="token.not_blank")
            current = ctx.vault.open(rec.so_pin_enc, k.serial)
            k = ctx.tokens.init_token(k, so_pin=current, current_so_pin=current, label=job.order_no)
            pin = current
        else:
            pin = random_so_pin()
            job = self.job = ctx.repo.update_job(
                job.id, so_pin_enc=ctx.vault.seal(pin, "job:" + job.order_no)
            )
            k = ctx.tokens.init_token(k, so_pin=pin, label=job.order_no)
        self.key = k
        fields: dict[str, Any] = {
            "so_pin_enc": ctx.vault.seal(pin, k.serial),
            "label": job.order_no,
        }
        known = ctx.repo.get(k.serial)
        if known is not None and known.state is KeyState.FORMATTED:
            # repeated after a crash between this transition and the step's journal entry
            ctx.repo.upsert(k.serial, **fields)
        else:
            ctx.repo.transition(
                k.serial,
                KeyState.FORMATTED,
                actor=actor,
                reason="initialised for issuance",
                order_no=job.order_no,
                **fields,
            )
        return {"serial": k.serial}, {"key_serial": k.serial}

    def init_pin(self) -> StepOut:
        self.pin = random_digits(8)
        with self.ctx.tokens.session(self.key.serial, so_pin=self.so_pin()) as s:
            s.init_user_pin(self.pin)
        return {}, {}

    def keygen(self) -> StepOut:
        ctx = self.ctx
        job = self.job
        s = self.user_session()
        algorithm = self.algorithm
        reused = False
        if job.key_id is None:
            key_id = secrets.token_bytes(8)
            job = self.job = ctx.repo.update_job(job.id, key_id=key_id)  # before the pair exists
        else:  # a repeat: keep a whole pair, drop a half-made one
            key_id = job.key_id
            reused = s.public_key(key_id) is not None and s.has_private_key(key_id)
            if not reused:
                s.delete(key_id=key_id)
        if not reused:
            self.spki = s.generate_keypair(key_id, algorithm, label=job.order_no)
        return {"algorithm": algorithm.value, "reused": reused}, {}

    def csr(self) -> StepOut:
        der = csr_on_key(self.user_session(), self.job.key_id, self.job.order_no, spki=self.spki)
        return {"bytes": len(der)}, {"csr_der": der}

    def certify(self) -> StepOut:
        ctx = self.ctx
        j = self.job
        if j.cert_der:
            return {"kept": True}, {}
        assert j.csr_der is not None and j.key_id is not None
        cert = ctx.issuer.issue(
            j.csr_der,
            self.kind,
            self.subject,
            self.not_before,
            self.not_after,
            request_id=ctx.request_id(j, "certify"),
        )
        check_cert_matches(cert, j.csr_der)
        c = x509.load_der_x509_certificate(cert)
        return {"cert_serial": f"{c.serial_number:x}"}, {"cert_der": cert}

    def write_cert(self) -> StepOut:
        j = self.job
        assert j.cert_der is not None and j.key_id is not None
        self.user_session().write_certificate(j.key_id, j.cert_der, label=cn_of(j.cert_der))
        return {}, {}

    def write_seal(self) -> StepOut:
        j = self.job
        p = self.job.params
        if not p.get("seal"):
            return {"seal": "none"}, {}
        assert j.cert_der is not None
        seal_der = j.seal_der or make_seal(
            self.ctx,
            SealRequest.from_params(p["seal"]),
            j.cert_der,
            f"{j.order_no}:new:seal",
            es_id=seal_es_id(j.order_no),
        )
        self.user_session().write_data(SEAL_LABEL, SEAL_APPLICATION, seal_der)
        return {"seal_bytes": len(seal_der)}, {"seal_der": seal_der}

    def verify(self) -> StepOut:
        j = self.job
        assert j.cert_der is not None and j.key_id is not None
        verify_on_key(self.user_session(), j.key_id, j.cert_der)
        return {"verified": True}, {}

    # -- key escrow (ESCROW_STEPS) -------------------------------------------------------------

    def ask_escrow(self, spki: bytes) -> EscrowedKey:
        """The KMC's escrowed encryption key for this job's signing certificate."""
        ctx = self.ctx
        j = ctx.reload(self.job)
        assert j.cert_der is not None
        if ctx.escrow is None:
            raise KeyServiceError(
                f"Order {j.order_no} was started with key escrow, which is no longer "
                'configured; set [flows] key_escrow = "hub" to finish it',
                code="keys.no_escrow",
            )
        signing = x509.load_der_x509_certificate(j.cert_der).serial_number
        return ctx.escrow.escrow(
            format(signing, "x"),
            spki,
            request_id=f"{j.order_no}:{j.service}:escrow",
            order_no=j.order_no,
            holder_digest=j.params.get("holder_digest"),
        )

    # -- the run -------------------------------------------------------------------------------

    def plan(self) -> list[tuple[str, StepFn]]:
        """The steps in order, each with its journal name."""
        plan: list[tuple[str, StepFn]] = [
            ("init_token", self.init_token),
            ("init_pin", self.init_pin),
            ("keygen", self.keygen),
            ("csr", self.csr),
            ("certify", self.certify),
            ("write_cert", self.write_cert),
            ("write_seal", self.write_seal),
            ("verify", self.verify),
        ]
        if self.job.params.get("escrow"):
            plan += escrow_plan(self.ctx, self.job, self.user_session, self.ask_escrow)
        return plan

    def run_steps(self) -> None:
        """Every step not yet journalled done, in order (the user session closed after)."""
        ctx, steps = self.ctx, self.steps
        with self.held:
            job = self.job
            plan = self.plan()
            for i, (name, fn) in enumerate(plan):
                # the next step's 'started' commits with this one's 'done' (same rows, one
                # commit fewer per step)
                then = plan[i + 1][0] if i + 1 < len(plan) else None
                job = self.job = ctx.run_step(job, name, steps, fn, then=then)
                if name == "init_token" and job.key_serial and not self.key.serial:
                    self.key = ctx.tokens.key(job.key_serial)

    def finish(self, *, resumed: bool) -> IssueResult:
        """Close the job: the key ``active`` with its certificate, the replaced key retired."""
        ctx, actor = self.ctx, self.actor
        # the job as the last step's journal write read it back (run_steps kept it)
        j = self.job
        # a resumed job that had finished every step but not closed still needs a fresh PIN
        pin = self.user_pin()
        assert j.cert_der is not None and j.key_serial is not None
        if j.service == "replace":
            _retire_replaced(ctx, j, j.key_serial, actor=actor)
        cert = x509.load_der_x509_certificate(j.cert_der)
        subject = self.subject
        with ctx.repo.db.atomic():
            ctx.repo.transition(
                j.key_serial,
                KeyState.ACTIVE,
                actor=actor,
                reason="issued and verified",
                order_no=j.order_no,
                key_id=j.key_id,
                algorithm=self.algorithm.value,
                kind=self.kind,
                subject=subject.to_dict(),
                unit_uscc=subject.uscc or None,
                cert_serial=f"{cert.serial_number:x}",
                cert_not_after=cert.not_valid_after_utc,
                cert_der=j.cert_der,
                seal_der=j.seal_der,
                seal_es_id=seal_es_id(j.order_no) if j.seal_der else None,
                enc_cert_der=j.enc_cert_der,
                enc_cert_serial=serial_hex(j.enc_cert_der),
            )
            ctx.repo.bump(j.key_serial, "issuances")
            ctx.repo.update_job(j.id, state="done")
        log.info(
            "order %s: key %s issued (certificate %x)", j.order_no, j.key_serial, cert.serial_number
        )
        return IssueResult(
            serial=j.key_serial,
            order_no=j.order_no,
            cert_der=j.cert_der,
            seal_der=j.seal_der,
            user_pin=pin,
            resumed=resumed,
        )


def run_issue(
    ctx: KeyContext, job: KeyJob, key: KeyInfo, *, actor: str, resumed: bool = False
) -> IssueResult:
    """Run (or resume) an issuing job on ``key`` to the end."""
    run = IssueRun(ctx, job, key, actor)
    run.run_steps()
    return run.finish(resumed=resumed)


def issue_new(ctx: KeyContext, req: IssueRequest, *, actor: str) -> IssueResult:
    """Issue a certificate (and seal) on the blank key in the reader.

    Starting again with the same order number resumes the journalled job.

    Raises:
        TokenError: ``token.no_key``, ``token.two_keys``, ``token.not_blank``,
            ``token.removed`` (pulled mid-way: the job stays resumable), ``token.wrong_pin``.
        KeyServiceError: ``keys.cert_mismatch``, ``keys.verify_failed``, ``keys.job_done``.
        CaError: the CA refused the request.
    """
    if req.not_after.tzinfo is None or req.not_before.tzinfo is None:
        raise KeyServiceError("Validity times must carry a time zone", code="keys.bad_input")
    if req.not_after <= req.not_before:
        raise KeyServiceError("The validity ends before it starts", code="keys.bad_input")
    # refuse a wrong kind or missing subject data before the blank key is touched
    try:
        subject_name(Profile(str(req.kind)), req.subject)
    except ValueError:
        raise KeyServiceError(
            f"Unknown certificate kind {req.kind!r}; known: " + ", ".join(p.value for p in Profile),
            code="keys.bad_input",
        ) from None
    params = {
        "kind": str(req.kind),
        "subject": req.subject.to_dict(),
        "not_before": req.not_before.astimezone(dt.UTC).isoformat(),
        "not_after": req.not_after.astimezone(dt.UTC).isoformat(),
        "algorithm": (req.algorithm or ctx.algorithm).value,
        "seal": req.seal.to_params() if req.seal else None,
        "actor": actor,
        "escrow": ctx.escrow is not None,
        "holder_digest": req.holder_digest,
    }
    job = ctx.repo.start_job(req.order_no, "new", params)
    if job.state == "done":
        raise KeyServiceError(
            f"Order {req.order_no} already has its key ({job.key_serial})",
            code="keys.job_done",
        )
    if job.state != "running":
        raise KeyServiceError(
            f"Order {req.order_no} was {job.state}; start a new order", code="keys.job_closed"
        )
    return run_issue(ctx, job, _key_for_job(ctx, job), actor=actor)


def _key_for_job(ctx: KeyContext, job: KeyJob) -> KeyInfo:
    """The key a (new or resumed) issuing job works on."""
    if job.key_serial:
        key = ctx.tokens.one_key()
        if key.serial != job.key_serial:
            raise TokenError(
                f"Order {job.order_no} was being written on key {job.key_serial}; "
                f"insert that key (found {key.serial or 'a blank key'})",
                code="token.wrong_key",
            )
        return key
    key = ctx.tokens.one_key()
    if key.blank:
        return key
    if key.label == job.order_no:
        return key  # initialised for this order just before a crash: adopt it
    rec = ctx.repo.get(key.serial)
    if rec is not None and rec.state is KeyState.BLANK:
        return key  # wiped by this kiosk: blank again, its SO PIN kept
    raise TokenError(
        f"Key {key.serial} ({key.label or 'no label'}) is not blank; a new issue needs a "
        "blank key from stock",
        code="token.not_blank",
    )


def replace(
    ctx: KeyContext,
    *,
    order_no: str,
    actor: str,
    old_serial: str,
    lost: bool = True,
    holder_digest: str | None = None,
) -> IssueResult:
    """Replace a lost or damaged key: a blank key with the same subject and notAfter (and
    seal); the old certificate is revoked (keyCompromise when lost, superseded when
    damaged) and the old key written off (lost/damaged, then terminated).
    """
    old = ctx.record(old_serial)
    if old.state not in (KeyState.ACTIVE, KeyState.SUSPENDED, KeyState.LOST, KeyState.DAMAGED):
        raise KeyServiceError(
            f"Key {old_serial} is {old.state.value}; nothing to replace", code="keys.bad_state"
        )
    if old.cert_not_after is None or old.cert_not_after <= ctx.clock.now():
        raise KeyServiceError(
            f"The certificate of key {old_serial} has expired; apply anew or renew",
            code="keys.expired",
        )
    assert old.kind is not None
    seal = seal_request_of(old.seal_der) if old.seal_der else None
    req = IssueRequest(
        order_no=order_no,
        kind=old.kind,
        subject=SubjectData.from_dict(old.subject),
        not_before=ctx.clock.now(),
        not_after=old.cert_not_after,
        seal=seal,
        algorithm=KeyAlgorithm(old.algorithm) if old.algorithm else None,
    )
    params = {
        "kind": req.kind,
        "subject": req.subject.to_dict(),
        "not_before": req.not_before.astimezone(dt.UTC).isoformat(),
        "not_after": req.not_after.astimezone(dt.UTC).isoformat(),
        "algorithm": (req.algorithm or ctx.algorithm).value,
        "seal": seal.to_params() if seal else None,
        "old_serial": old_serial,
        "lost": lost,
        "escrow": ctx.escrow is not None,
        "holder_digest": holder_digest,
    }
    job = ctx.repo.start_job(order_no, "replace", params)
    if job.state != "running":
        raise KeyServiceError(
            f"Order {order_no} already replaced key {old_serial}", code="keys.job_done"
        )
    result = run_issue(ctx, job, _key_for_job(ctx, job), actor=actor)
    return result


def _retire_replaced(ctx: KeyContext, job: KeyJob, new_serial: str, *, actor: str) -> None:
    """The end of a replacement (also after a resume): revoke the old certificate, then
    write the old key off. Safe to repeat: the CA keeps the first revocation, and a key
    already terminated is left alone."""
    old_serial = job.params["old_serial"]
    lost = bool(job.params.get("lost", True))
    cur = ctx.record(old_serial)
    if cur.state is KeyState.TERMINATED:
        return
    if cur.cert_serial:
        ctx.issuer.revoke(
            int(cur.cert_serial, 16),
            "keyCompromise" if lost else "superseded",
            request_id=f"{job.order_no}:replace:revoke",
        )
    if cur.enc_cert_serial:
        # the old key's encryption key left with it: its certificate is revoked too (the
        # replacement got a fresh escrowed pair when escrow is on)
        ctx.issuer.revoke(
            int(cur.enc_cert_serial, 16),
            "keyCompromise" if lost else "superseded",
            request_id=f"{job.order_no}:replace:revoke:enc",
        )
    with ctx.repo.db.atomic():
        if cur.state in (KeyState.ACTIVE, KeyState.SUSPENDED):
            ctx.repo.transition(
                old_serial,
                KeyState.LOST if lost else KeyState.DAMAGED,
                actor=actor,
                reason="reported by holder",
                order_no=job.order_no,
            )
        ctx.repo.transition(
            old_serial,
            KeyState.TERMINATED,
            actor=actor,
            reason=f"replaced by key {new_serial}",
            order_no=job.order_no,
        )
