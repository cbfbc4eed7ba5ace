"""Key escrow (双证书): the escrowed encryption key pair put on a key after its signing
certificate, its certificate following the signing one through renewals and changes, and key
recovery (密钥恢复) onto the holder's key."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hardware.token import KeySession
from kiosk.errors import TokenError
from kiosk.keys.context import KeyContext, StepOut
from kiosk.keys.issuer import EscrowedKey, KeyEscrow
from kiosk.keys.lifecycle import KeyState
from kiosk.keys.model import ENC_ID_PREFIX, ESCROW_STEPS, KeyServiceError, cn_of, serial_hex
from kiosk.keys.pins import login_guard
from kiosk.keys.repository import KeyJob

log = logging.getLogger("kiosk.keys")

#: A named step of a plan: (journal name, body).
Plan = list[tuple[str, Callable[[], StepOut]]]


def escrow_plan(
    ctx: KeyContext,
    job: KeyJob,
    user_session: Callable[[], KeySession],
    ask: Callable[[bytes], EscrowedKey],
) -> Plan:
    """The three escrow steps: receive the wrapped encryption key from the KMC and unwrap
    it inside the key (``enc_fetch``), write its certificate (``enc_cert``), prove the key
    decrypts for that certificate (``enc_verify``). Safe to repeat: the KMC answers the same
    key pair for the same request id (re-wrapped for a new transport key), and the unwrap
    replaces a key left by an earlier try."""

    def enc_id() -> bytes:
        j = ctx.reload(job)
        assert j.key_id is not None or j.params.get("signing_key_id")
        return ENC_ID_PREFIX + (j.key_id or bytes.fromhex(j.params["signing_key_id"]))

    def enc_fetch() -> StepOut:
        got: list[EscrowedKey] = []

        def fetch(spki: bytes) -> tuple[bytes, bytes]:
            got.append(ask(spki))
            return got[0].wrapped_kek, got[0].wrapped_key

        user_session().import_wrapped_key(enc_id(), "encryption " + job.order_no, fetch)
        ek = got[0]
        return {"enc_serial": ek.encryption_serial}, {"enc_cert_der": ek.cert_der}

    def enc_cert() -> StepOut:
        j = ctx.reload(job)
        assert j.enc_cert_der is not None
        user_session().write_certificate(
            enc_id(), j.enc_cert_der, label=cn_of(j.enc_cert_der) + " (encryption)"
        )
        return {}, {}

    def enc_verify() -> StepOut:
        j = ctx.reload(job)
        assert j.enc_cert_der is not None
        pub = x509.load_der_x509_certificate(j.enc_cert_der).public_key()
        if not isinstance(pub, rsa.RSAPublicKey):
            raise KeyServiceError(
                "The encryption certificate is not for an RSA key", code="keys.verify_failed"
            )
        challenge = secrets.token_bytes(32)
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
        if user_session().decrypt(enc_id(), pub.encrypt(challenge, oaep)) != challenge:
            raise KeyServiceError(
                "The encryption key on the key does not match its certificate",
                code="keys.verify_failed",
            )
        return {"verified": True}, {}

    return [("enc_fetch", enc_fetch), ("enc_cert", enc_cert), ("enc_verify", enc_verify)]


def recover_encryption_key(
    ctx: KeyContext,
    *,
    order_no: str,
    actor: str,
    user_pin: str,
    agent_digest: str,
    serial: str | None = None,
    uscc: str | None = None,
) -> str:
    """Key recovery (密钥恢复): the holder's escrowed *encryption* key back onto their key.

    Signing keys are never recovered (they were made on the key and never left it). The key
    must be the holder's, active, its signing certificate unexpired; the KMC checks again
    that the signing certificate is valid and names the same holder, and refuses a key whose
    encryption certificate is revoked. Journalled as a ``key-recovery`` job
    (``enc_fetch``, ``enc_cert``, ``enc_verify``); calling again with the same order resumes.

    Returns:
        the encryption certificate's serial (hex).

    Raises:
        KeyServiceError: ``keys.no_escrow`` (no KMC configured), ``keys.no_escrowed_key``
            (this key carries no escrowed key), and :meth:`holder_key`'s refusals.
        TokenError: ``token.wrong_pin`` and the like.
        SyncError: the KMC refused (``kmc.cert_revoked``, ...) or cannot be reached.
    """
    if ctx.escrow is None:
        raise KeyServiceError("No key escrow is configured at this counter", code="keys.no_escrow")
    escrow = ctx.escrow
    key, rec = ctx.holder_key(
        serial=serial, uscc=uscc, need_unexpired=True, states=(KeyState.ACTIVE,)
    )
    if not rec.enc_cert_der or not rec.enc_cert_serial or rec.key_id is None:
        raise KeyServiceError(
            f"Key {key.serial} carries no escrowed encryption key (issued for signing "
            "only); nothing can be recovered",
            code="keys.no_escrowed_key",
        )
    job = ctx.start_job(
        order_no,
        "key-recovery",
        key.serial,
        {"signing_key_id": rec.key_id.hex(), "encryption_serial": rec.enc_cert_serial},
    )
    signing, enc_serial = rec.cert_serial or "", rec.enc_cert_serial
    guard = login_guard(ctx, key.serial, actor, order_no)
    held = contextlib.ExitStack()
    opened: list[KeySession] = []

    def user_session() -> KeySession:
        if not opened:
            try:
                opened.append(
                    held.enter_context(ctx.tokens.session(key.serial, user_pin=user_pin, rw=True))
                )
            except TokenError as e:
                guard(e)
                raise
        return opened[0]

    def ask(spki: bytes) -> EscrowedKey:
        return escrow.recover(
            signing,
            enc_serial,
            spki,
            request_id=f"{order_no}:key-recovery",
            order_no=order_no,
            agent_digest=agent_digest,
        )

    with held:
        for name, fn in escrow_plan(ctx, job, user_session, ask):
            job = ctx.run_step(job, name, ESCROW_STEPS, fn)
    j = ctx.reload(job)
    with ctx.repo.db.atomic():
        ctx.repo.upsert(key.serial, enc_cert_der=j.enc_cert_der)
        ctx.repo.update_job(j.id, state="done")
    log.info("order %s: encryption key %s recovered onto key %s", order_no, enc_serial, key.serial)
    return enc_serial


def recert_escrow_plan(
    ctx: KeyContext,
    job: KeyJob,
    key_id: bytes,
    user_session: Callable[[], KeySession],
    revoke_reason: str,
) -> Plan:
    """The encryption certificate follows the signing one (双证书): the KMC certifies the
    same escrowed key pair again for the new signing certificate (idempotent per request
    id ``ORDER:SERVICE:enc-recertify``), the new certificate replaces the old one on the
    key, and the old one is revoked (superseded after a renewal, affiliationChanged after a
    change). No private key crosses the wire: the pair on the key stays."""
    old_serial = str(job.params["enc_serial"])
    old_der = bytes.fromhex(job.params["enc_cert"])
    enc_id = ENC_ID_PREFIX + key_id

    def escrow() -> KeyEscrow:
        if ctx.escrow is None:
            raise KeyServiceError(
                f"Order {job.order_no} was started with key escrow, which is no longer "
                'configured; set [flows] key_escrow = "hub" to finish it',
                code="keys.no_escrow",
            )
        return ctx.escrow

    def enc_recertify() -> StepOut:
        j = ctx.reload(job)
        if j.enc_cert_der:
            return {"kept": True}, {}
        assert j.cert_der is not None
        signing = x509.load_der_x509_certificate(j.cert_der).serial_number
        der = escrow().recertify(
            format(signing, "x"),
            old_serial,
            request_id=f"{j.order_no}:{j.service}:enc-recertify",
            order_no=j.order_no,
            agent_digest=j.params.get("agent_digest"),
        )
        fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        new_pub = x509.load_der_x509_certificate(der).public_key().public_bytes(*fmt)
        old_pub = x509.load_der_x509_certificate(old_der).public_key().public_bytes(*fmt)
        if new_pub != old_pub:
            raise KeyServiceError(
                "The KMC's new encryption certificate is for another key pair; it was not written",
                code="keys.cert_mismatch",
            )
        return {"enc_serial": serial_hex(der), "replaces": old_serial}, {"enc_cert_der": der}

    def enc_cert() -> StepOut:
        j = ctx.reload(job)
        assert j.enc_cert_der is not None
        user_session().write_certificate(
            enc_id, j.enc_cert_der, label=cn_of(j.enc_cert_der) + " (encryption)"
        )
        return {}, {}

    def enc_revoke_old() -> StepOut:
        j = ctx.reload(job)
        if serial_hex(j.enc_cert_der) != old_serial:
            ctx.issuer.revoke(
                int(old_serial, 16),
                revoke_reason,
                request_id=f"{j.order_no}:{j.service}:revoke:enc",
            )
        return {"revoked": old_serial, "reason": revoke_reason}, {}

    return [
        ("enc_recertify", enc_recertify),
        ("enc_cert", enc_cert),
        ("enc_revoke_old", enc_revoke_old),
    ]
