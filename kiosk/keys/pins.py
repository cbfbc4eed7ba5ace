"""PIN handling: the user PIN's state, unlocking (the SO sets a new user PIN), the SO PIN kept
in the vault, and suspending a key whose user PIN locked during a service."""

from __future__ import annotations

from collections.abc import Callable

from hardware.token import KeyInfo, PinState
from kiosk.errors import TokenError
from kiosk.keys.context import KeyContext, StepOut
from kiosk.keys.lifecycle import KeyState
from kiosk.keys.model import KeyServiceError
from kiosk.keys.repository import KeyRecord
from kiosk.keys.vault import random_digits


def pin_status(ctx: KeyContext, serial: str | None = None) -> tuple[KeyInfo, PinState]:
    """The key in the reader and its user PIN state: shown before any PIN is asked for."""
    key = ctx.tokens.one_key(blank=False) if serial is None else ctx.tokens.key(serial)
    return key, key.user_pin


def unlock(
    ctx: KeyContext,
    *,
    order_no: str,
    actor: str,
    serial: str | None = None,
    uscc: str | None = None,
) -> tuple[str, PinState]:
    """Unlock: SO login with the stored SO PIN, a new random user PIN, counters updated.

    Returns:
        (new PIN for the PIN slip, the PIN state *before* the reset).
    """
    key, rec = ctx.holder_key(serial=serial, uscc=uscc)
    before = key.user_pin
    job = ctx.start_job(order_no, "unlock", key.serial, {})
    pin = random_digits(8)
    so = so_pin_of(ctx, rec)

    def reset() -> StepOut:
        with ctx.tokens.session(key.serial, so_pin=so) as s:
            s.init_user_pin(pin)
        return {"tries_before": before.describe()}, {}

    job = ctx.run_step(job, "reset_pin", ("reset_pin",), reset, force=True)
    with ctx.repo.db.atomic():
        ctx.repo.bump(key.serial, "pin_resets")
        if rec.state is KeyState.SUSPENDED:
            ctx.repo.transition(
                key.serial,
                KeyState.ACTIVE,
                actor=actor,
                reason="PIN reset (unlock)",
                order_no=order_no,
            )
        ctx.repo.update_job(job.id, state="done")
    return pin, before


def login_guard(
    ctx: KeyContext, serial: str, actor: str, order_no: str
) -> Callable[[Exception], None]:
    """A handler for a failed user login: a locked PIN suspends an active key."""

    def on_error(e: Exception) -> None:
        if isinstance(e, TokenError) and e.code == "token.pin_locked":
            rec = ctx.repo.get(serial)
            if rec is not None and rec.state is KeyState.ACTIVE:
                ctx.repo.transition(
                    serial,
                    KeyState.SUSPENDED,
                    actor=actor,
                    reason="PIN locked",
                    order_no=order_no,
                )

    return on_error


def so_pin_of(ctx: KeyContext, rec: KeyRecord) -> str:
    """The key's SO PIN, opened from the vault.

    Raises:
        KeyServiceError: ``keys.no_so_pin``.
    """
    if rec.so_pin_enc is None:
        raise KeyServiceError(f"No SO PIN is stored for key {rec.serial}", code="keys.no_so_pin")
    return ctx.vault.open(rec.so_pin_enc, rec.serial)
