"""The services on USB keys: new issue, renew, replace, change, unlock, cancel, seal, wipe.

Every service runs as a *job* (one per order number and service) whose steps are journalled in
the store before and after they run, so a crash or a pulled key leaves a record of exactly how far
it got. Steps are written to be safe to repeat:

* the SO PIN is generated and stored (encrypted) *before* ``C_InitToken``, and the token label is
  the order number, so a key initialised just before a crash is recognised and adopted;
* the key pair's CKA_ID is chosen and stored before generation, and an existing pair with that id
  is reused;
* the user PIN is never stored: when a resumed job needs it, the SO sets a fresh one (the caller
  gets the final PIN once, for the PIN slip);
* the certificate and the seal object are kept in the job once received, so a repeat writes the
  same ones; writing them on the key replaces any earlier copy.

On reinsertion :meth:`KeyService.recover` resumes an unfinished job, or wipes a half-written key
whose job was abandoned; a key that is not ``active`` is never reported as ready to hand over.

The work is split by concern; this module is the public face:

* :mod:`kiosk.keys.model` - requests, results, the journal's step names, errors;
* :mod:`kiosk.keys.context` - the collaborators and the job journal every service shares;
* :mod:`kiosk.keys.issuing` - a new issue and a replacement as named steps (:class:`IssueRun`);
* :mod:`kiosk.keys.aftersale` - renew, change, seal, cancel on the holder's key;
* :mod:`kiosk.keys.escrow` - the escrowed encryption pair (双证书) and key recovery;
* :mod:`kiosk.keys.pins` - PIN state, unlock, the SO PIN;
* :mod:`kiosk.keys.recovery` - resume, abandon, wipe;
* :mod:`kiosk.keys.tokenops` - CSR, certificate checks, seal objects, reading a key.
"""

from __future__ import annotations

from typing import Any

from hardware.token import KeyInfo, PinState
from kiosk.contracts.subject import SubjectData, subject_data_of
from kiosk.keys import aftersale, escrow, issuing, pins, recovery, tokenops
from kiosk.keys.context import KeyContext
from kiosk.keys.lifecycle import KeyState
from kiosk.keys.model import (
    ENC_ID_PREFIX,
    ESCROW_STEPS,
    ISSUE_STEPS,
    RECERT_ESCROW_STEPS,
    RECERT_STEPS,
    SEAL_APPLICATION,
    SEAL_LABEL,
    IssueRequest,
    IssueResult,
    KeyServiceError,
    Recovery,
    SealRequest,
)
from kiosk.keys.repository import KeyRecord


class KeyService(KeyContext):
    """Runs the services on keys.

    Args:
        tokens: the open key reader.
        repo: the keys' tables.
        vault: encrypts SO PINs.
        issuer: the CA (in-process now, the hub client later).
        algorithm: the key pair made on new keys.
        on_step: called with ``(order_no, service, step, state)`` after each journal write (the
            visit flow mirrors it into the visit journal; never given a PIN).
        clock: where "now" comes from (tests set it).
        escrow: the key management centre (``[flows] key_escrow = "hub"``): new issues and
            replacements also receive an escrowed encryption key pair and its certificate, and
            :meth:`recover_encryption_key` works. None: signing keys only.
    """

    # == new issue and replacement (kiosk.keys.issuing) =========================================

    def issue_new(self, req: IssueRequest, *, actor: str) -> IssueResult:
        """Issue a certificate (and seal) on the blank key; see :func:`issuing.issue_new`."""
        return issuing.issue_new(self, req, actor=actor)

    def replace(
        self,
        *,
        order_no: str,
        actor: str,
        old_serial: str,
        lost: bool = True,
        holder_digest: str | None = None,
    ) -> IssueResult:
        """Replace a lost or damaged key with a blank one; see :func:`issuing.replace`."""
        return issuing.replace(
            self,
            order_no=order_no,
            actor=actor,
            old_serial=old_serial,
            lost=lost,
            holder_digest=holder_digest,
        )

    # == recovery (kiosk.keys.recovery) =========================================================

    def abandon(self, order_no: str, service: str = "new", *, actor: str, reason: str) -> None:
        """Give up an unfinished job (the visit was cancelled): its key will be wiped."""
        recovery.abandon(self, order_no, service, actor=actor, reason=reason)

    def recover(self, *, actor: str) -> Recovery:
        """Finish or undo half-done work on the key in the reader; see :func:`recovery.recover`."""
        return recovery.recover(self, actor=actor)

    def wipe(self, serial: str, *, actor: str, reason: str, order_no: str | None = None) -> None:
        """Return a key to blank stock; see :func:`recovery.wipe`."""
        recovery.wipe(self, serial, actor=actor, reason=reason, order_no=order_no)

    # == services on the holder's key (kiosk.keys.aftersale, pins, escrow) ======================

    def pin_status(self, serial: str | None = None) -> tuple[KeyInfo, PinState]:
        """The key in the reader and its user PIN state: shown before any PIN is asked for."""
        return pins.pin_status(self, serial)

    def renew(
        self,
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
        """Renew (续期) the certificate on the same key; see :func:`aftersale.renew`."""
        return aftersale.renew(
            self,
            order_no=order_no,
            actor=actor,
            user_pin=user_pin,
            years=years,
            serial=serial,
            uscc=uscc,
            expired_renewal=expired_renewal,
            agent_digest=agent_digest,
        )

    def change(
        self,
        *,
        order_no: str,
        actor: str,
        user_pin: str,
        subject: SubjectData,
        serial: str | None = None,
        uscc: str | None = None,
        agent_digest: str | None = None,
    ) -> IssueResult:
        """Change (变更) the subject on the same key; see :func:`aftersale.change`."""
        return aftersale.change(
            self,
            order_no=order_no,
            actor=actor,
            user_pin=user_pin,
            subject=subject,
            serial=serial,
            uscc=uscc,
            agent_digest=agent_digest,
        )

    def apply_seal(
        self,
        *,
        order_no: str,
        actor: str,
        user_pin: str,
        seal: SealRequest,
        serial: str | None = None,
        uscc: str | None = None,
    ) -> bytes:
        """Write (or replace) the key's seal; see :func:`aftersale.apply_seal`."""
        return aftersale.apply_seal(
            self,
            order_no=order_no,
            actor=actor,
            user_pin=user_pin,
            seal=seal,
            serial=serial,
            uscc=uscc,
        )

    def unlock(
        self, *, order_no: str, actor: str, serial: str | None = None, uscc: str | None = None
    ) -> tuple[str, PinState]:
        """Reset a locked user PIN; see :func:`pins.unlock`."""
        return pins.unlock(self, order_no=order_no, actor=actor, serial=serial, uscc=uscc)

    def cancel(
        self,
        *,
        order_no: str,
        actor: str,
        reason: str = "cessationOfOperation",
        serial: str | None = None,
        uscc: str | None = None,
    ) -> None:
        """Cancel (注销): revoke, then wipe the key; see :func:`aftersale.cancel`."""
        aftersale.cancel(
            self, order_no=order_no, actor=actor, reason=reason, serial=serial, uscc=uscc
        )

    def recover_encryption_key(
        self,
        *,
        order_no: str,
        actor: str,
        user_pin: str,
        agent_digest: str,
        serial: str | None = None,
        uscc: str | None = None,
    ) -> str:
        """Key recovery (密钥恢复); see :func:`escrow.recover_encryption_key`."""
        return escrow.recover_encryption_key(
            self,
            order_no=order_no,
            actor=actor,
            user_pin=user_pin,
            agent_digest=agent_digest,
            serial=serial,
            uscc=uscc,
        )

    # == inspection =============================================================================

    def read_key(self, serial: str) -> dict[str, Any]:
        """Public objects on a key: certificate (DER), seal (DER), key pair ids."""
        return tokenops.read_key(self, serial)


__all__ = [
    "ENC_ID_PREFIX",
    "ESCROW_STEPS",
    "ISSUE_STEPS",
    "RECERT_ESCROW_STEPS",
    "RECERT_STEPS",
    "SEAL_APPLICATION",
    "SEAL_LABEL",
    "IssueRequest",
    "IssueResult",
    "KeyRecord",
    "KeyService",
    "KeyServiceError",
    "KeyState",
    "Recovery",
    "SealRequest",
    "subject_data_of",
]
