"""After a crash or a pulled key: resume an unfinished job, give one up, wipe a half-written key
back to blank stock."""

from __future__ import annotations

import logging

from kiosk.keys.context import KeyContext
from kiosk.keys.issuing import run_issue
from kiosk.keys.lifecycle import KeyState, check_transition
from kiosk.keys.model import Recovery
from kiosk.keys.pins import so_pin_of

log = logging.getLogger("kiosk.keys")


def abandon(
    ctx: KeyContext, order_no: str, service: str = "new", *, actor: str, reason: str
) -> None:
    """Give up an unfinished job (the visit was cancelled): its key will be wiped."""
    job = ctx.repo.job(order_no, service)
    if job is None or job.state != "running":
        return
    ctx.repo.update_job(job.id, state="abandoned")
    ctx.repo.record_step(job.id, "abandon", "done", {"actor": actor, "reason": reason})
    log.info("order %s %s abandoned by %s: %s", order_no, service, actor, reason)


def recover(ctx: KeyContext, *, actor: str) -> Recovery:
    """Look at the key in the reader and finish or undo any half-done work on it.

    * a key labelled with the order number of a running job: the job resumes from its
      last journalled step (a fresh user PIN is set; the result carries it);
    * a ``formatted`` key (never finished) whose job is not running: wiped back to blank;
    * anything else: nothing to do.

    Raises:
        TokenError: ``token.no_key``, ``token.two_keys``, ``token.removed``.
    """
    key = ctx.tokens.one_key()
    if key.blank:
        return Recovery("none", "", reason="blank key")
    rec = ctx.repo.get(key.serial)
    for job in ctx.repo.jobs_for_label(key.label):
        if (
            job.state == "running"
            and job.service in ("new", "replace")
            and (job.key_serial in (None, key.serial))
        ):
            result = run_issue(ctx, job, key, actor=actor, resumed=True)
            return Recovery("resumed", key.serial, job.order_no, result)
    if rec is not None and rec.state is KeyState.FORMATTED:
        wipe(
            ctx,
            key.serial,
            actor=actor,
            reason="half-written key of an abandoned order",
            order_no=key.label or None,
        )
        return Recovery("wiped", key.serial, key.label or None, reason="half-written key wiped")
    if rec is None and key.label:
        jobs = ctx.repo.jobs_for_label(key.label)
        if jobs and jobs[0].so_pin_enc:
            # initialised for an order that never recorded the key: wipe with the job's PIN
            pin = ctx.vault.open(jobs[0].so_pin_enc, "job:" + jobs[0].order_no)
            ctx.tokens.init_token(key, so_pin=pin, current_so_pin=pin, label="")
            ctx.repo.upsert(
                key.serial,
                state=KeyState.BLANK.value,
                so_pin_enc=ctx.vault.seal(pin, key.serial),
                label="",
            )
            return Recovery("wiped", key.serial, key.label, reason="unrecorded key wiped")
    return Recovery("none", key.serial, reason=f"key is {rec.state if rec else 'unknown'}")


def wipe(
    ctx: KeyContext, serial: str, *, actor: str, reason: str, order_no: str | None = None
) -> None:
    """Destroy every object on a key and return it to blank stock (keeps its SO PIN).

    Allowed from ``formatted`` (never handed over) and ``terminated``.

    Raises:
        KeyStateError: the key is in another state (an active key is cancelled first).
    """
    rec = ctx.record(serial)
    check_transition(rec.state, KeyState.BLANK, wipe=True)
    key = ctx.tokens.key(serial)
    pin = so_pin_of(ctx, rec)
    ctx.tokens.init_token(key, so_pin=pin, current_so_pin=pin, label="")
    ctx.repo.transition(
        serial,
        KeyState.BLANK,
        actor=actor,
        reason=reason,
        order_no=order_no,
        wipe=True,
        label="",
        key_id=None,
        kind=None,
        subject="{}",
        unit_uscc=None,
        cert_serial=None,
        cert_not_after=None,
        cert_der=None,
        seal_der=None,
        seal_es_id=None,
        enc_cert_der=None,
        enc_cert_serial=None,
    )
    log.info("key %s wiped by %s: %s", serial, actor, reason)
