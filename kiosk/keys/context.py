"""What every key service works with: the collaborators, the job journal and the holder's key.

:class:`KeyContext` holds the reader, the tables, the vault, the CA and the clock, and runs a
job's steps through the journal (:meth:`KeyContext.run_step`: started / done / failed, skipped
when already done). The services themselves live in :mod:`kiosk.keys.issuing`,
:mod:`kiosk.keys.aftersale`, :mod:`kiosk.keys.escrow`, :mod:`kiosk.keys.pins` and
:mod:`kiosk.keys.recovery`; :class:`kiosk.keys.service.KeyService` is their public face.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hardware.token import KeyAlgorithm, KeyInfo, Pkcs11Tokens
from kiosk.domain.clock import SYSTEM_CLOCK, Clock
from kiosk.errors import KioskError
from kiosk.keys.issuer import CertificateIssuer, KeyEscrow
from kiosk.keys.lifecycle import KeyState
from kiosk.keys.model import IssueResult, KeyServiceError
from kiosk.keys.repository import KeyJob, KeyRecord, KeyRepository
from kiosk.keys.vault import PinVault

log = logging.getLogger("kiosk.keys")

#: What a journalled step returns: (detail for the journal, fields to store on the job).
StepOut = tuple[dict[str, Any], dict[str, Any]]

#: A step's body; None counts as ``({}, {})``.
StepFn = Callable[[], StepOut | None]


class KeyContext:
    """The collaborators of the key services and the job journal they share.

    Args: see :class:`kiosk.keys.service.KeyService`.
    """

    def __init__(
        self,
        tokens: Pkcs11Tokens,
        repo: KeyRepository,
        vault: PinVault,
        issuer: CertificateIssuer,
        *,
        algorithm: KeyAlgorithm = KeyAlgorithm.RSA2048,
        on_step: Callable[[str, str, str, str], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        escrow: KeyEscrow | None = None,
    ) -> None:
        self.escrow = escrow
        self.tokens = tokens
        self.repo = repo
        self.vault = vault
        self.issuer = issuer
        self.algorithm = algorithm
        self.on_step = on_step
        self.clock = clock
        #: test seam: called as ``after_step(order_no, step)`` once a step is journalled done.
        self.after_step: Callable[[str, str], None] | None = None
        #: (job id, step) whose ``started`` row the last step's ``done`` commit already wrote.
        self._pre_started: tuple[int, str] | None = None

    # == journal plumbing =======================================================================

    def run_step(
        self,
        job: KeyJob,
        step: str,
        steps: tuple[str, ...],
        fn: StepFn,
        *,
        force: bool = False,
        then: str | None = None,
    ) -> KeyJob:
        """Run ``fn`` unless the journal says ``step`` is done; journal started/done/failed.

        Args:
            then: the step the caller runs next. Its ``started`` row is written in the same
                transaction as this step's ``done`` (one commit between two steps, not two),
                and the next :meth:`run_step` of that step on this job does not write it again.
        """
        # Whatever call comes next consumes the mark: a run cut short between the two steps
        # (an exception) leaves none behind for a later run to misread.
        pre_started, self._pre_started = self._pre_started, None
        done = job.last_step in steps and steps.index(job.last_step) >= steps.index(step)
        if done and not force:
            return job
        if pre_started != (job.id, step):
            self.repo.journal(job.id, step, "started")
        self._notify(job, step, "started")
        try:
            out = fn() or ({}, {})
        except KioskError as e:
            self.repo.record_step(job.id, step, "failed", {"code": e.code, "error": e.message})
            self._notify(job, step, "failed")
            log.warning(
                "order %s %s: step %s failed: %s (%s)",
                job.order_no,
                job.service,
                step,
                e.code,
                e.message,
            )
            raise
        detail, fields = out
        job = self.repo.record_step(job.id, step, "done", detail, then_start=then, **fields)
        if then is not None:
            self._pre_started = (job.id, then)
        self._notify(job, step, "done")
        log.info("order %s %s: step %s done %s", job.order_no, job.service, step, detail or "")
        if self.after_step is not None:
            self.after_step(job.order_no, step)
        return job

    def _notify(self, job: KeyJob, step: str, state: str) -> None:
        if self.on_step is not None:
            self.on_step(job.order_no, job.service, step, state)

    def reload(self, job: KeyJob) -> KeyJob:
        """The job as the journal has it now."""
        return self.repo.job_by_id(job.id)

    def request_id(self, job: KeyJob, step: str) -> str:
        """Idempotency key for a CA call: the same after a crash or an unreachable CA (so the
        hub answers a repeat with its first certificate), new after the kiosk refused an answer
        (a certificate for another key pair)."""
        failed = self.repo.count_failed(job.id, step, "keys.cert_mismatch")
        return f"{job.order_no}:{job.service}:{step}:{failed}"

    def start_job(self, order_no: str, service: str, serial: str, params: dict[str, Any]) -> KeyJob:
        """Start (or pick up) the job of a service on the holder's key ``serial``.

        Raises:
            KeyServiceError: ``keys.job_done`` when the order already did it.
        """
        job = self.repo.start_job(order_no, service, {**params, "serial": serial})
        if job.state == "done":
            raise KeyServiceError(
                f"Order {order_no} already did {service} on key {serial}", code="keys.job_done"
            )
        if job.key_serial is None:
            job = self.repo.update_job(job.id, key_serial=serial)
        return job

    def record(self, serial: str) -> KeyRecord:
        """The stored record of a key this counter knows.

        Raises:
            KeyServiceError: ``keys.unknown_key``.
        """
        rec = self.repo.get(serial)
        if rec is None:
            raise KeyServiceError(f"Key {serial} is not known here", code="keys.unknown_key")
        return rec

    def result_of(self, job: KeyJob, serial: str) -> IssueResult:
        """The result of a service that put a new certificate on the holder's key (no PIN)."""
        j = self.reload(job)
        assert j.cert_der is not None
        return IssueResult(
            serial=serial,
            order_no=j.order_no,
            cert_der=j.cert_der,
            seal_der=j.seal_der,
            user_pin="",
        )

    def holder_key(
        self,
        *,
        serial: str | None = None,
        uscc: str | None = None,
        need_unexpired: bool = False,
        states: tuple[KeyState, ...] = (KeyState.ACTIVE, KeyState.SUSPENDED),
    ) -> tuple[KeyInfo, KeyRecord]:
        """The holder's key in the reader, refused with a reason when it is the wrong one.

        Raises:
            TokenError: ``token.no_key``, ``token.two_keys``, ``token.blank`` (a blank key where
                the holder's key is needed).
            KeyServiceError: ``keys.unknown_key``, ``keys.wrong_key``, ``keys.other_unit``,
                ``keys.bad_state``, ``keys.expired`` (renew first).
        """
        key = self.tokens.one_key(blank=False)
        rec = self.repo.get(key.serial)
        if rec is None:
            raise KeyServiceError(
                f"Key {key.serial} was not issued at this counter; its records are not here",
                code="keys.unknown_key",
            )
        if serial is not None and key.serial != serial:
            raise KeyServiceError(
                f"This is key {key.serial}; the visit is for key {serial}", code="keys.wrong_key"
            )
        if uscc is not None and (rec.unit_uscc or "").upper() != uscc.upper():
            raise KeyServiceError(
                f"Key {key.serial} belongs to another unit ({rec.unit_uscc or 'a person'}), "
                f"not {uscc}",
                code="keys.other_unit",
            )
        if rec.state not in states:
            raise KeyServiceError(
                f"Key {key.serial} is {rec.state.value}; this service needs "
                f"a key that is {' or '.join(s.value for s in states)}",
                code="keys.bad_state",
            )
        if (
            need_unexpired
            and rec.cert_not_after is not None
            and rec.cert_not_after <= self.clock.now()
        ):
            raise KeyServiceError(
                f"The certificate on key {key.serial} expired on "
                f"{rec.cert_not_after:%Y-%m-%d}; renew it first (续期) in this visit",
                code="keys.expired",
            )
        return key, rec
