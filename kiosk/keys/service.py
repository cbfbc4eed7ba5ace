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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import csr as asn1csr
from asn1crypto import keys as asn1keys
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hardware.token import KeyAlgorithm, KeyInfo, KeySession, PinState, Pkcs11Tokens
from kiosk.contracts.sealobj import SEAL_TYPE_ORG, SealSpec, parse_seal
from kiosk.contracts.subject import Profile, SubjectData, subject_data_of, subject_name
from kiosk.domain import validity
from kiosk.domain.clock import SYSTEM_CLOCK, Clock
from kiosk.errors import KioskError, TokenError
from kiosk.keys.issuer import CertificateIssuer, EscrowedKey, KeyEscrow
from kiosk.keys.lifecycle import KeyState
from kiosk.keys.repository import KeyJob, KeyRecord, KeyRepository
from kiosk.keys.vault import PinVault, random_digits, random_so_pin

log = logging.getLogger("kiosk.keys")

#: The steps of issuing on a blank key, in order (the journal's names).
ISSUE_STEPS: tuple[str, ...] = (
    "init_token",
    "init_pin",
    "keygen",
    "csr",
    "certify",
    "write_cert",
    "write_seal",
    "verify",
)

#: The steps that put the escrowed encryption key pair (双证书) on the key: after ``verify`` of
#: a new issue or a replacement (with key escrow), and the whole of a key recovery (密钥恢复).
ESCROW_STEPS: tuple[str, ...] = ("enc_fetch", "enc_cert", "enc_verify")

#: The steps that follow a renewal (更新) or a change (变更) on a key that carries an escrowed
#: encryption pair: the KMC certifies the *same* escrowed key again with the new subject and
#: validity (``enc_recertify``), the new certificate replaces the old one on the key
#: (``enc_cert``), and the previous encryption certificate is revoked (``enc_revoke_old``).
RECERT_ESCROW_STEPS: tuple[str, ...] = ("enc_recertify", "enc_cert", "enc_revoke_old")

#: Prefix of the encryption key pair's CKA_ID (the signing pair's id follows it).
ENC_ID_PREFIX = b"enc:"

#: The token object label of the seal and its CKA_APPLICATION.
SEAL_LABEL = "SESeal"
SEAL_APPLICATION = "GB/T 38540-2020 SESeal v4"


class KeyServiceError(KioskError):
    """A key service refused or failed (wrong key, wrong state, mismatched certificate, ...)."""

    title = "USB key service"
    code = "keys.error"


@dataclass(frozen=True)
class SealRequest:
    """A seal to put on a key: its name, the picture (PNG) and its printed size."""

    name: str
    picture_png: bytes = field(repr=False)
    width_mm: int
    height_mm: int
    seal_type: int = SEAL_TYPE_ORG

    def to_params(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "png": self.picture_png.hex(),
            "w": self.width_mm,
            "h": self.height_mm,
            "type": self.seal_type,
        }

    @classmethod
    def from_params(cls, p: dict[str, Any]) -> SealRequest:
        return cls(p["name"], bytes.fromhex(p["png"]), p["w"], p["h"], p["type"])


@dataclass(frozen=True)
class IssueRequest:
    """A new certificate on a blank key.

    Attributes:
        order_no: the visit's order number (written as the token label).
        kind: ``org`` / ``legal-rep`` / ``individual``.
        subject: the unit and/or person.
        not_before, not_after: validity (aware datetimes).
        seal: the electronic seal to write, if any.
        algorithm: overrides the kiosk's configured key algorithm.
        holder_digest: an individual holder's ID digest (``kiosk.visits.keywork.agent_digest``),
            kept by the KMC with the escrowed key to recognise the person at recovery.
    """

    order_no: str
    kind: str
    subject: SubjectData
    not_before: dt.datetime
    not_after: dt.datetime
    seal: SealRequest | None = None
    algorithm: KeyAlgorithm | None = None
    holder_digest: str | None = None


@dataclass(frozen=True)
class IssueResult:
    """A finished key. ``user_pin`` is the initial PIN for the PIN slip: given once, never kept."""

    serial: str
    order_no: str
    cert_der: bytes = field(repr=False)
    seal_der: bytes | None = field(repr=False)
    user_pin: str = field(repr=False)
    resumed: bool = False

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.cert_der)


@dataclass(frozen=True)
class Recovery:
    """What :meth:`KeyService.recover` did with the inserted key.

    ``action``: ``resumed`` (the job finished; ``result`` holds the key and its new PIN),
    ``wiped`` (half-written key of an abandoned job, back to blank), ``none`` (nothing to do).
    """

    action: str
    serial: str
    order_no: str | None = None
    result: IssueResult | None = None
    reason: str = ""


class KeyService:
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
    ):
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

    # == journal plumbing =======================================================================

    def _run_step(
        self,
        job: KeyJob,
        step: str,
        steps: tuple[str, ...],
        fn: Callable[[], tuple[dict[str, Any], dict[str, Any]] | None],
        *,
        force: bool = False,
    ) -> KeyJob:
        """Run ``fn`` unless the journal says ``step`` is done; journal started/done/failed."""
        done = job.last_step in steps and steps.index(job.last_step) >= steps.index(step)
        if done and not force:
            return job
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
        job = self.repo.record_step(job.id, step, "done", detail, **fields)
        self._notify(job, step, "done")
        log.info("order %s %s: step %s done %s", job.order_no, job.service, step, detail or "")
        if self.after_step is not None:
            self.after_step(job.order_no, step)
        return job

    def _notify(self, job: KeyJob, step: str, state: str) -> None:
        if self.on_step is not None:
            self.on_step(job.order_no, job.service, step, state)

    # == new issue ==============================================================================

    def issue_new(self, req: IssueRequest, *, actor: str) -> IssueResult:
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
                f"Unknown certificate kind {req.kind!r}; known: "
                + ", ".join(p.value for p in Profile),
                code="keys.bad_input",
            ) from None
        params = {
            "kind": str(req.kind),
            "subject": req.subject.to_dict(),
            "not_before": req.not_before.astimezone(dt.UTC).isoformat(),
            "not_after": req.not_after.astimezone(dt.UTC).isoformat(),
            "algorithm": (req.algorithm or self.algorithm).value,
            "seal": req.seal.to_params() if req.seal else None,
            "actor": actor,
            "escrow": self.escrow is not None,
            "holder_digest": req.holder_digest,
        }
        job = self.repo.start_job(req.order_no, "new", params)
        if job.state == "done":
            raise KeyServiceError(
                f"Order {req.order_no} already has its key ({job.key_serial})",
                code="keys.job_done",
            )
        if job.state != "running":
            raise KeyServiceError(
                f"Order {req.order_no} was {job.state}; start a new order", code="keys.job_closed"
            )
        return self._issue(job, self._key_for_job(job), actor=actor)

    def _key_for_job(self, job: KeyJob) -> KeyInfo:
        """The key a (new or resumed) issuing job works on."""
        if job.key_serial:
            key = self.tokens.one_key()
            if key.serial != job.key_serial:
                raise TokenError(
                    f"Order {job.order_no} was being written on key {job.key_serial}; "
                    f"insert that key (found {key.serial or 'a blank key'})",
                    code="token.wrong_key",
                )
            return key
        key = self.tokens.one_key()
        if key.blank:
            return key
        if key.label == job.order_no:
            return key  # initialised for this order just before a crash: adopt it
        rec = self.repo.get(key.serial)
        if rec is not None and rec.state is KeyState.BLANK:
            return key  # wiped by this kiosk: blank again, its SO PIN kept
        raise TokenError(
            f"Key {key.serial} ({key.label or 'no label'}) is not blank; a new issue needs a "
            "blank key from stock",
            code="token.not_blank",
        )

    def _issue(
        self, job: KeyJob, key: KeyInfo, *, actor: str, resumed: bool = False
    ) -> IssueResult:
        p = job.params
        steps = ISSUE_STEPS + (ESCROW_STEPS if p.get("escrow") else ())
        state: dict[str, Any] = {"key": key, "pin": None, "session": None, "spki": None}
        # One user session (one login) serves every step after the PIN is set: logins are the
        # slow part of a PKCS#11 module (SoftHSM derives a key from the PIN on each).
        held = contextlib.ExitStack()

        def user_session() -> KeySession:
            if state["session"] is None:
                pin = user_pin()
                state["session"] = held.enter_context(
                    self.tokens.session(state["key"].serial, user_pin=pin, rw=True)
                )
            return state["session"]  # type: ignore[no-any-return]

        kind = p["kind"]
        subject = SubjectData.from_dict(p["subject"])
        algorithm = KeyAlgorithm(p["algorithm"])
        nb = dt.datetime.fromisoformat(p["not_before"])
        na = dt.datetime.fromisoformat(p["not_after"])

        def so_pin() -> str:
            serial = state["key"].serial
            rec = self.repo.get(serial)
            if rec is not None and rec.so_pin_enc:
                return self.vault.open(rec.so_pin_enc, serial)
            if job.so_pin_enc:
                return self.vault.open(job.so_pin_enc, "job:" + job.order_no)
            raise KeyServiceError(f"No SO PIN is known for key {serial}", code="keys.no_so_pin")

        # -- init_token
        def init_token() -> tuple[dict[str, Any], dict[str, Any]]:
            nonlocal job
            k: KeyInfo = state["key"]
            if k.initialised and k.label == job.order_no and job.so_pin_enc:
                # adopted after a crash between C_InitToken and its journal entry
                pin = self.vault.open(job.so_pin_enc, "job:" + job.order_no)
            elif k.initialised:
                rec = self.repo.get(k.serial)
                if rec is None or rec.so_pin_enc is None:
                    raise TokenError(f"Key {k.serial} is not blank", code="token.not_blank")
                current = self.vault.open(rec.so_pin_enc, k.serial)
                k = self.tokens.init_token(
                    k, so_pin=current, current_so_pin=current, label=job.order_no
                )
                pin = current
            else:
                pin = random_so_pin()
                job = self.repo.update_job(
                    job.id, so_pin_enc=self.vault.seal(pin, "job:" + job.order_no)
                )
                k = self.tokens.init_token(k, so_pin=pin, label=job.order_no)
            state["key"] = k
            # Columns of the key's row, written with the transition (the repository's **fields).
            fields: dict[str, Any] = {
                "so_pin_enc": self.vault.seal(pin, k.serial),
                "label": job.order_no,
            }
            known = self.repo.get(k.serial)
            if known is not None and known.state is KeyState.FORMATTED:
                # repeated after a crash between this transition and the step's journal entry
                self.repo.upsert(k.serial, **fields)
            else:
                self.repo.transition(
                    k.serial,
                    KeyState.FORMATTED,
                    actor=actor,
                    reason="initialised for issuance",
                    order_no=job.order_no,
                    **fields,
                )
            return {"serial": k.serial}, {"key_serial": k.serial}

        def init_pin() -> tuple[dict[str, Any], dict[str, Any]]:
            state["pin"] = random_digits(8)
            with self.tokens.session(state["key"].serial, so_pin=so_pin()) as s:
                s.init_user_pin(state["pin"])
            return {}, {}

        def user_pin() -> str:
            if state["pin"] is None:
                # resumed: the earlier PIN was never stored; the SO sets a fresh one
                self._run_step(job, "init_pin", steps, init_pin, force=True)
            return str(state["pin"])

        def keygen() -> tuple[dict[str, Any], dict[str, Any]]:
            nonlocal job
            job = self._job(job)
            s = user_session()
            reused = False
            if job.key_id is None:
                key_id = secrets.token_bytes(8)
                job = self.repo.update_job(job.id, key_id=key_id)  # before the pair exists
            else:  # a repeat: keep a whole pair, drop a half-made one
                key_id = job.key_id
                reused = s.public_key(key_id) is not None and s.has_private_key(key_id)
                if not reused:
                    s.delete(key_id=key_id)
            if not reused:
                state["spki"] = s.generate_keypair(key_id, algorithm, label=job.order_no)
            return {"algorithm": algorithm.value, "reused": reused}, {}

        def csr() -> tuple[dict[str, Any], dict[str, Any]]:
            der = self._csr(
                user_session(), self._job(job).key_id, job.order_no, spki=state.get("spki")
            )
            return {"bytes": len(der)}, {"csr_der": der}

        def certify() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            if j.cert_der:
                return {"kept": True}, {}
            assert j.csr_der is not None and j.key_id is not None
            cert = self.issuer.issue(
                j.csr_der, kind, subject, nb, na, request_id=self._request_id(j, "certify")
            )
            self._check_cert_matches(cert, j.csr_der)
            c = x509.load_der_x509_certificate(cert)
            return {"cert_serial": f"{c.serial_number:x}"}, {"cert_der": cert}

        def write_cert() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.cert_der is not None and j.key_id is not None
            user_session().write_certificate(j.key_id, j.cert_der, label=_cn(j.cert_der))
            return {}, {}

        def write_seal() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            if not p.get("seal"):
                return {"seal": "none"}, {}
            assert j.cert_der is not None
            seal_der = j.seal_der or self._make_seal(
                SealRequest.from_params(p["seal"]),
                j.cert_der,
                f"{j.order_no}:new:seal",
                es_id=_es_id(j.order_no),
            )
            user_session().write_data(SEAL_LABEL, SEAL_APPLICATION, seal_der)
            return {"seal_bytes": len(seal_der)}, {"seal_der": seal_der}

        def verify() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.cert_der is not None and j.key_id is not None
            self._verify_on_key(user_session(), j.key_id, j.cert_der)
            return {"verified": True}, {}

        def ask_escrow(spki: bytes) -> EscrowedKey:
            j = self._job(job)
            assert j.cert_der is not None
            if self.escrow is None:
                raise KeyServiceError(
                    f"Order {j.order_no} was started with key escrow, which is no longer "
                    'configured; set [flows] key_escrow = "hub" to finish it',
                    code="keys.no_escrow",
                )
            signing = x509.load_der_x509_certificate(j.cert_der).serial_number
            return self.escrow.escrow(
                format(signing, "x"),
                spki,
                request_id=f"{j.order_no}:{j.service}:escrow",
                order_no=j.order_no,
                holder_digest=j.params.get("holder_digest"),
            )

        plan: list[tuple[str, Callable[[], tuple[dict[str, Any], dict[str, Any]] | None]]] = [
            ("init_token", init_token),
            ("init_pin", init_pin),
            ("keygen", keygen),
            ("csr", csr),
            ("certify", certify),
            ("write_cert", write_cert),
            ("write_seal", write_seal),
            ("verify", verify),
        ]
        if p.get("escrow"):
            plan += self._escrow_plan(job, user_session, ask_escrow)
        with held:
            self._issue_steps(job, state, steps, tuple(plan))
        job = self._job(job)
        # a resumed job that had finished every step but not closed still needs a fresh PIN
        pin = user_pin()
        j = self._job(job)
        assert j.cert_der is not None and j.key_serial is not None
        if j.service == "replace":
            self._retire_replaced(j, j.key_serial, actor=actor)
        cert = x509.load_der_x509_certificate(j.cert_der)
        with self.repo.db.atomic():
            self.repo.transition(
                j.key_serial,
                KeyState.ACTIVE,
                actor=actor,
                reason="issued and verified",
                order_no=j.order_no,
                key_id=j.key_id,
                algorithm=algorithm.value,
                kind=kind,
                subject=subject.to_dict(),
                unit_uscc=subject.uscc or None,
                cert_serial=f"{cert.serial_number:x}",
                cert_not_after=cert.not_valid_after_utc,
                cert_der=j.cert_der,
                seal_der=j.seal_der,
                seal_es_id=_es_id(j.order_no) if j.seal_der else None,
                enc_cert_der=j.enc_cert_der,
                enc_cert_serial=_serial_hex(j.enc_cert_der),
            )
            self.repo.bump(j.key_serial, "issuances")
            self.repo.update_job(j.id, state="done")
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

    def _issue_steps(
        self,
        job: KeyJob,
        state: dict[str, Any],
        steps: tuple[str, ...],
        plan: tuple[tuple[str, Callable[[], tuple[dict[str, Any], dict[str, Any]] | None]], ...],
    ) -> None:
        for name, fn in plan:
            job = self._run_step(job, name, steps, fn)
            if name == "init_token" and job.key_serial and not state["key"].serial:
                state["key"] = self.tokens.key(job.key_serial)

    def _job(self, job: KeyJob) -> KeyJob:
        return self.repo.job_by_id(job.id)

    # == key escrow (双证书) and key recovery (密钥恢复) ==========================================

    def _escrow_plan(
        self,
        job: KeyJob,
        user_session: Callable[[], KeySession],
        ask: Callable[[bytes], EscrowedKey],
    ) -> list[tuple[str, Callable[[], tuple[dict[str, Any], dict[str, Any]]]]]:
        """The three escrow steps: receive the wrapped encryption key from the KMC and unwrap
        it inside the key (``enc_fetch``), write its certificate (``enc_cert``), prove the key
        decrypts for that certificate (``enc_verify``). Safe to repeat: the KMC answers the same
        key pair for the same request id (re-wrapped for a new transport key), and the unwrap
        replaces a key left by an earlier try."""

        def enc_id() -> bytes:
            j = self._job(job)
            assert j.key_id is not None or j.params.get("signing_key_id")
            return ENC_ID_PREFIX + (j.key_id or bytes.fromhex(j.params["signing_key_id"]))

        def enc_fetch() -> tuple[dict[str, Any], dict[str, Any]]:
            got: list[EscrowedKey] = []

            def fetch(spki: bytes) -> tuple[bytes, bytes]:
                got.append(ask(spki))
                return got[0].wrapped_kek, got[0].wrapped_key

            user_session().import_wrapped_key(enc_id(), "encryption " + job.order_no, fetch)
            ek = got[0]
            return {"enc_serial": ek.encryption_serial}, {"enc_cert_der": ek.cert_der}

        def enc_cert() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.enc_cert_der is not None
            user_session().write_certificate(
                enc_id(), j.enc_cert_der, label=_cn(j.enc_cert_der) + " (encryption)"
            )
            return {}, {}

        def enc_verify() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.enc_cert_der is not None
            pub = x509.load_der_x509_certificate(j.enc_cert_der).public_key()
            if not isinstance(pub, rsa.RSAPublicKey):
                raise KeyServiceError(
                    "The encryption certificate is not for an RSA key", code="keys.verify_failed"
                )
            challenge = secrets.token_bytes(32)
            oaep = padding.OAEP(
                mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None
            )
            if user_session().decrypt(enc_id(), pub.encrypt(challenge, oaep)) != challenge:
                raise KeyServiceError(
                    "The encryption key on the key does not match its certificate",
                    code="keys.verify_failed",
                )
            return {"verified": True}, {}

        return [("enc_fetch", enc_fetch), ("enc_cert", enc_cert), ("enc_verify", enc_verify)]

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
        if self.escrow is None:
            raise KeyServiceError(
                "No key escrow is configured at this counter", code="keys.no_escrow"
            )
        escrow = self.escrow
        key, rec = self.holder_key(
            serial=serial, uscc=uscc, need_unexpired=True, states=(KeyState.ACTIVE,)
        )
        if not rec.enc_cert_der or not rec.enc_cert_serial or rec.key_id is None:
            raise KeyServiceError(
                f"Key {key.serial} carries no escrowed encryption key (issued for signing "
                "only); nothing can be recovered",
                code="keys.no_escrowed_key",
            )
        job = self._start(
            order_no,
            "key-recovery",
            key.serial,
            {"signing_key_id": rec.key_id.hex(), "encryption_serial": rec.enc_cert_serial},
        )
        signing, enc_serial = rec.cert_serial or "", rec.enc_cert_serial
        guard = self._login_guard(key.serial, actor, order_no)
        held = contextlib.ExitStack()
        opened: list[KeySession] = []

        def user_session() -> KeySession:
            if not opened:
                try:
                    opened.append(
                        held.enter_context(
                            self.tokens.session(key.serial, user_pin=user_pin, rw=True)
                        )
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
            for name, fn in self._escrow_plan(job, user_session, ask):
                job = self._run_step(job, name, ESCROW_STEPS, fn)
        j = self._job(job)
        with self.repo.db.atomic():
            self.repo.upsert(key.serial, enc_cert_der=j.enc_cert_der)
            self.repo.update_job(j.id, state="done")
        log.info(
            "order %s: encryption key %s recovered onto key %s", order_no, enc_serial, key.serial
        )
        return enc_serial

    def _request_id(self, job: KeyJob, step: str) -> str:
        """Idempotency key for a CA call: the same after a crash or an unreachable CA (so the
        hub answers a repeat with its first certificate), new after the kiosk refused an answer
        (a certificate for another key pair)."""
        failed = sum(
            1
            for s in self.repo.steps(job.id)
            if s["step"] == step and s["state"] == "failed" and "keys.cert_mismatch" in s["detail"]
        )
        return f"{job.order_no}:{job.service}:{step}:{failed}"

    # == recovery ===============================================================================

    def abandon(self, order_no: str, service: str = "new", *, actor: str, reason: str) -> None:
        """Give up an unfinished job (the visit was cancelled): its key will be wiped."""
        job = self.repo.job(order_no, service)
        if job is None or job.state != "running":
            return
        self.repo.update_job(job.id, state="abandoned")
        self.repo.record_step(job.id, "abandon", "done", {"actor": actor, "reason": reason})
        log.info("order %s %s abandoned by %s: %s", order_no, service, actor, reason)

    def recover(self, *, actor: str) -> Recovery:
        """Look at the key in the reader and finish or undo any half-done work on it.

        * a key labelled with the order number of a running job: the job resumes from its
          last journalled step (a fresh user PIN is set; the result carries it);
        * a ``formatted`` key (never finished) whose job is not running: wiped back to blank;
        * anything else: nothing to do.

        Raises:
            TokenError: ``token.no_key``, ``token.two_keys``, ``token.removed``.
        """
        key = self.tokens.one_key()
        if key.blank:
            return Recovery("none", "", reason="blank key")
        rec = self.repo.get(key.serial)
        for job in self.repo.jobs_for_label(key.label):
            if (
                job.state == "running"
                and job.service in ("new", "replace")
                and (job.key_serial in (None, key.serial))
            ):
                result = self._issue(job, key, actor=actor, resumed=True)
                return Recovery("resumed", key.serial, job.order_no, result)
        if rec is not None and rec.state is KeyState.FORMATTED:
            self.wipe(
                key.serial,
                actor=actor,
                reason="half-written key of an abandoned order",
                order_no=key.label or None,
            )
            return Recovery("wiped", key.serial, key.label or None, reason="half-written key wiped")
        if rec is None and key.label:
            jobs = self.repo.jobs_for_label(key.label)
            if jobs and jobs[0].so_pin_enc:
                # initialised for an order that never recorded the key: wipe with the job's PIN
                pin = self.vault.open(jobs[0].so_pin_enc, "job:" + jobs[0].order_no)
                self.tokens.init_token(key, so_pin=pin, current_so_pin=pin, label="")
                self.repo.upsert(
                    key.serial,
                    state=KeyState.BLANK.value,
                    so_pin_enc=self.vault.seal(pin, key.serial),
                    label="",
                )
                return Recovery("wiped", key.serial, key.label, reason="unrecorded key wiped")
        return Recovery("none", key.serial, reason=f"key is {rec.state if rec else 'unknown'}")

    def wipe(self, serial: str, *, actor: str, reason: str, order_no: str | None = None) -> None:
        """Destroy every object on a key and return it to blank stock (keeps its SO PIN).

        Allowed from ``formatted`` (never handed over) and ``terminated``.

        Raises:
            KeyStateError: the key is in another state (an active key is cancelled first).
        """
        rec = self._record(serial)
        from kiosk.keys.lifecycle import check_transition

        check_transition(rec.state, KeyState.BLANK, wipe=True)
        key = self.tokens.key(serial)
        pin = self._so_pin(rec)
        self.tokens.init_token(key, so_pin=pin, current_so_pin=pin, label="")
        self.repo.transition(
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

    # == services on the holder's key ===========================================================

    def pin_status(self, serial: str | None = None) -> tuple[KeyInfo, PinState]:
        """The key in the reader and its user PIN state: shown before any PIN is asked for."""
        key = self.tokens.one_key(blank=False) if serial is None else self.tokens.key(serial)
        return key, key.user_pin

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

    def _start(self, order_no: str, service: str, serial: str, params: dict[str, Any]) -> KeyJob:
        job = self.repo.start_job(order_no, service, {**params, "serial": serial})
        if job.state == "done":
            raise KeyServiceError(
                f"Order {order_no} already did {service} on key {serial}", code="keys.job_done"
            )
        if job.key_serial is None:
            job = self.repo.update_job(job.id, key_serial=serial)
        return job

    def _login_guard(self, serial: str, actor: str, order_no: str) -> Callable[[Exception], None]:
        def on_error(e: Exception) -> None:
            if isinstance(e, TokenError) and e.code == "token.pin_locked":
                rec = self.repo.get(serial)
                if rec is not None and rec.state is KeyState.ACTIVE:
                    self.repo.transition(
                        serial,
                        KeyState.SUSPENDED,
                        actor=actor,
                        reason="PIN locked",
                        order_no=order_no,
                    )

        return on_error

    def _recertify(
        self,
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
        """New certificate on the key's existing pair; seal re-bound; old certificate revoked;
        with ``escrow`` in the job's params, the escrowed encryption key certified again
        (:data:`RECERT_ESCROW_STEPS`)."""
        steps: tuple[str, ...] = (
            "csr",
            "certify",
            "write_cert",
            "write_seal",
            "verify",
            "revoke_old",
        )
        if job.params.get("escrow"):
            steps += RECERT_ESCROW_STEPS
        assert rec.key_id is not None and rec.kind is not None
        key_id = rec.key_id
        guard = self._login_guard(key.serial, "system", job.order_no)
        held = contextlib.ExitStack()
        opened: list[KeySession] = []

        def user_session() -> KeySession:
            if not opened:
                try:
                    opened.append(
                        held.enter_context(
                            self.tokens.session(key.serial, user_pin=user_pin, rw=True)
                        )
                    )
                except TokenError as e:
                    guard(e)
                    raise
            return opened[0]

        def csr() -> tuple[dict[str, Any], dict[str, Any]]:
            return {}, {"csr_der": self._csr(user_session(), key_id, job.order_no)}

        def certify() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            if j.cert_der:
                return {"kept": True}, {}
            assert j.csr_der is not None
            cert = self.issuer.issue(
                j.csr_der,
                rec.kind or "org",
                subject,
                not_before,
                not_after,
                request_id=self._request_id(j, "certify"),
            )
            self._check_cert_matches(cert, j.csr_der)
            c = x509.load_der_x509_certificate(cert)
            return {"cert_serial": f"{c.serial_number:x}"}, {"cert_der": cert}

        def write_cert() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.cert_der is not None
            user_session().write_certificate(key_id, j.cert_der, label=_cn(j.cert_der))
            return {}, {}

        def write_seal() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.cert_der is not None
            want = seal or (_seal_request_of(rec.seal_der) if rec.seal_der else None)
            if want is None:
                return {"seal": "none"}, {}
            der = j.seal_der or self._make_seal(
                want,
                j.cert_der,
                f"{j.order_no}:{j.service}:seal",
                es_id=rec.seal_es_id or _es_id(j.order_no),
            )
            user_session().write_data(SEAL_LABEL, SEAL_APPLICATION, der)
            return {"seal_bytes": len(der)}, {"seal_der": der}

        def verify() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.cert_der is not None
            self._verify_on_key(user_session(), key_id, j.cert_der)
            return {}, {}

        def revoke_old() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.cert_der is not None
            new_serial = x509.load_der_x509_certificate(j.cert_der).serial_number
            if rec.cert_serial and int(rec.cert_serial, 16) != new_serial:
                self.issuer.revoke(
                    int(rec.cert_serial, 16),
                    revoke_reason,
                    request_id=f"{j.order_no}:{j.service}:revoke",
                )
            return {"revoked": rec.cert_serial, "reason": revoke_reason}, {}

        plan: list[tuple[str, Callable[[], tuple[dict[str, Any], dict[str, Any]]]]] = [
            ("csr", csr),
            ("certify", certify),
            ("write_cert", write_cert),
            ("write_seal", write_seal),
            ("verify", verify),
            ("revoke_old", revoke_old),
        ]
        if job.params.get("escrow"):
            plan += self._recert_escrow_plan(job, key_id, user_session, revoke_reason)
        with held:
            for name, fn in plan:
                job = self._run_step(job, name, steps, fn)
        return self._job(job)

    def _recert_escrow_plan(
        self,
        job: KeyJob,
        key_id: bytes,
        user_session: Callable[[], KeySession],
        revoke_reason: str,
    ) -> list[tuple[str, Callable[[], tuple[dict[str, Any], dict[str, Any]]]]]:
        """The encryption certificate follows the signing one (双证书): the KMC certifies the
        same escrowed key pair again for the new signing certificate (idempotent per request
        id ``ORDER:SERVICE:enc-recertify``), the new certificate replaces the old one on the
        key, and the old one is revoked (superseded after a renewal, affiliationChanged after a
        change). No private key crosses the wire: the pair on the key stays."""
        old_serial = str(job.params["enc_serial"])
        old_der = bytes.fromhex(job.params["enc_cert"])
        enc_id = ENC_ID_PREFIX + key_id

        def escrow() -> KeyEscrow:
            if self.escrow is None:
                raise KeyServiceError(
                    f"Order {job.order_no} was started with key escrow, which is no longer "
                    'configured; set [flows] key_escrow = "hub" to finish it',
                    code="keys.no_escrow",
                )
            return self.escrow

        def enc_recertify() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
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
                    "The KMC's new encryption certificate is for another key pair; it was not "
                    "written",
                    code="keys.cert_mismatch",
                )
            return {"enc_serial": _serial_hex(der), "replaces": old_serial}, {"enc_cert_der": der}

        def enc_cert() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.enc_cert_der is not None
            user_session().write_certificate(
                enc_id, j.enc_cert_der, label=_cn(j.enc_cert_der) + " (encryption)"
            )
            return {}, {}

        def enc_revoke_old() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            if _serial_hex(j.enc_cert_der) != old_serial:
                self.issuer.revoke(
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

    def _finish_recert(self, job: KeyJob, serial: str, subject: SubjectData, **extra: Any) -> None:
        j = self._job(job)
        assert j.cert_der is not None
        cert = x509.load_der_x509_certificate(j.cert_der)
        with self.repo.db.atomic():
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
                fields["enc_cert_serial"] = _serial_hex(j.enc_cert_der)
            self.repo.upsert(serial, **fields)
            self.repo.update_job(j.id, state="done")

    def _recert_params(self, rec: KeyRecord, agent_digest: str | None) -> dict[str, Any]:
        """Job params of a renewal or change: whether the escrowed encryption certificate
        follows (a key with one, and escrow configured), and the one it replaces."""
        if self.escrow is None or not rec.enc_cert_der or not rec.enc_cert_serial:
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
        key, rec = self.holder_key(serial=serial, uscc=uscc)
        now = self.clock.now()
        assert rec.cert_not_after is not None
        # the domain rule: from the later of today and the old expiry, so no paid day is lost
        res = validity.renew(now, rec.cert_not_after, years, expired_renewal=expired_renewal)
        if not res.allowed or res.not_after is None:
            raise KeyServiceError(res.en, code="keys.reapply")
        na = res.not_after
        assert isinstance(na, dt.datetime)  # given datetimes, the domain rule returns one
        job = self._start(
            order_no,
            "renew",
            key.serial,
            {"years": years, **self._recert_params(rec, agent_digest)},
        )
        subject = SubjectData.from_dict(rec.subject)
        job = self._recertify(
            job,
            key,
            rec,
            user_pin=user_pin,
            subject=subject,
            not_before=now,
            not_after=na,
            revoke_reason="superseded",
        )
        self._finish_recert(job, key.serial, subject)
        self.repo.bump(key.serial, "renewals")
        return self._result(job, key.serial)

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
        """Change: new subject data on the same key, same notAfter; refused when expired
        (renew first). The old certificate is revoked (affiliationChanged); an escrowed
        encryption pair gets a new certificate with the new subject (see :meth:`renew`)."""
        key, rec = self.holder_key(
            serial=serial, uscc=uscc, need_unexpired=True, states=(KeyState.ACTIVE,)
        )
        assert rec.cert_not_after is not None
        if (
            self.escrow is not None
            and rec.enc_cert_serial
            and self.repo.job(order_no, "change") is None
        ):
            _same_escrow_holder(rec, subject)
        job = self._start(
            order_no,
            "change",
            key.serial,
            {"subject": subject.to_dict(), **self._recert_params(rec, agent_digest)},
        )
        job = self._recertify(
            job,
            key,
            rec,
            user_pin=user_pin,
            subject=subject,
            not_before=self.clock.now(),
            not_after=rec.cert_not_after,
            revoke_reason="affiliationChanged",
        )
        self._finish_recert(job, key.serial, subject)
        return self._result(job, key.serial)

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
        """Seal apply/change: write (or replace) the seal object bound to the key's certificate.

        Returns:
            the SESeal written.
        """
        key, rec = self.holder_key(
            serial=serial, uscc=uscc, need_unexpired=True, states=(KeyState.ACTIVE,)
        )
        assert rec.cert_der is not None
        job = self._start(order_no, "seal", key.serial, {"seal": seal.to_params()})
        steps = ("make_seal", "write_seal")
        es_id = rec.seal_es_id or _es_id(order_no)
        cert_der = rec.cert_der

        def make() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            if j.seal_der:
                return {}, {}
            return {}, {
                "seal_der": self._make_seal(seal, cert_der, f"{order_no}:seal", es_id=es_id)
            }

        def write() -> tuple[dict[str, Any], dict[str, Any]]:
            j = self._job(job)
            assert j.seal_der is not None
            with self.tokens.session(key.serial, user_pin=user_pin, rw=True) as s:
                s.write_data(SEAL_LABEL, SEAL_APPLICATION, j.seal_der)
            return {"seal_bytes": len(j.seal_der)}, {}

        job = self._run_step(job, "make_seal", steps, make)
        job = self._run_step(job, "write_seal", steps, write)
        j = self._job(job)
        self.repo.upsert(key.serial, seal_der=j.seal_der, seal_es_id=es_id)
        self.repo.update_job(j.id, state="done")
        assert j.seal_der is not None
        return j.seal_der

    def unlock(
        self, *, order_no: str, actor: str, serial: str | None = None, uscc: str | None = None
    ) -> tuple[str, PinState]:
        """Unlock: SO login with the stored SO PIN, a new random user PIN, counters updated.

        Returns:
            (new PIN for the PIN slip, the PIN state *before* the reset).
        """
        key, rec = self.holder_key(serial=serial, uscc=uscc)
        before = key.user_pin
        job = self._start(order_no, "unlock", key.serial, {})
        pin = random_digits(8)
        so = self._so_pin(rec)

        def reset() -> tuple[dict[str, Any], dict[str, Any]]:
            with self.tokens.session(key.serial, so_pin=so) as s:
                s.init_user_pin(pin)
            return {"tries_before": before.describe()}, {}

        job = self._run_step(job, "reset_pin", ("reset_pin",), reset, force=True)
        with self.repo.db.atomic():
            self.repo.bump(key.serial, "pin_resets")
            if rec.state is KeyState.SUSPENDED:
                self.repo.transition(
                    key.serial,
                    KeyState.ACTIVE,
                    actor=actor,
                    reason="PIN reset (unlock)",
                    order_no=order_no,
                )
            self.repo.update_job(job.id, state="done")
        return pin, before

    def cancel(
        self,
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
        key, rec = self.holder_key(serial=serial, uscc=uscc)
        job = self._start(order_no, "cancel", key.serial, {"reason": reason})
        steps = ("revoke", "wipe_objects")

        def revoke() -> tuple[dict[str, Any], dict[str, Any]]:
            if rec.cert_serial:
                self.issuer.revoke(
                    int(rec.cert_serial, 16), reason, request_id=f"{order_no}:cancel"
                )
            if rec.enc_cert_serial:
                # the encryption certificate goes with the signing one (双证书); its escrowed key
                # is then never recovered
                self.issuer.revoke(
                    int(rec.enc_cert_serial, 16), reason, request_id=f"{order_no}:cancel:enc"
                )
            return {"cert_serial": rec.cert_serial, "reason": reason}, {}

        def wipe_objects() -> tuple[dict[str, Any], dict[str, Any]]:
            pin = self._so_pin(rec)
            self.tokens.init_token(
                self.tokens.key(key.serial), so_pin=pin, current_so_pin=pin, label=""
            )
            return {}, {}

        job = self._run_step(job, "revoke", steps, revoke)
        job = self._run_step(job, "wipe_objects", steps, wipe_objects)
        with self.repo.db.atomic():
            self.repo.transition(
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
            self.repo.update_job(job.id, state="done")

    def replace(
        self,
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
        old = self._record(old_serial)
        if old.state not in (KeyState.ACTIVE, KeyState.SUSPENDED, KeyState.LOST, KeyState.DAMAGED):
            raise KeyServiceError(
                f"Key {old_serial} is {old.state.value}; nothing to replace", code="keys.bad_state"
            )
        if old.cert_not_after is None or old.cert_not_after <= self.clock.now():
            raise KeyServiceError(
                f"The certificate of key {old_serial} has expired; apply anew or renew",
                code="keys.expired",
            )
        assert old.kind is not None
        seal = _seal_request_of(old.seal_der) if old.seal_der else None
        req = IssueRequest(
            order_no=order_no,
            kind=old.kind,
            subject=SubjectData.from_dict(old.subject),
            not_before=self.clock.now(),
            not_after=old.cert_not_after,
            seal=seal,
            algorithm=KeyAlgorithm(old.algorithm) if old.algorithm else None,
        )
        params = {
            "kind": req.kind,
            "subject": req.subject.to_dict(),
            "not_before": req.not_before.astimezone(dt.UTC).isoformat(),
            "not_after": req.not_after.astimezone(dt.UTC).isoformat(),
            "algorithm": (req.algorithm or self.algorithm).value,
            "seal": seal.to_params() if seal else None,
            "old_serial": old_serial,
            "lost": lost,
            "escrow": self.escrow is not None,
            "holder_digest": holder_digest,
        }
        job = self.repo.start_job(order_no, "replace", params)
        if job.state != "running":
            raise KeyServiceError(
                f"Order {order_no} already replaced key {old_serial}", code="keys.job_done"
            )
        result = self._issue(job, self._key_for_job(job), actor=actor)
        return result

    def _retire_replaced(self, job: KeyJob, new_serial: str, *, actor: str) -> None:
        """The end of a replacement (also after a resume): revoke the old certificate, then
        write the old key off. Safe to repeat: the CA keeps the first revocation, and a key
        already terminated is left alone."""
        old_serial = job.params["old_serial"]
        lost = bool(job.params.get("lost", True))
        cur = self._record(old_serial)
        if cur.state is KeyState.TERMINATED:
            return
        if cur.cert_serial:
            self.issuer.revoke(
                int(cur.cert_serial, 16),
                "keyCompromise" if lost else "superseded",
                request_id=f"{job.order_no}:replace:revoke",
            )
        if cur.enc_cert_serial:
            # the old key's encryption key left with it: its certificate is revoked too (the
            # replacement got a fresh escrowed pair when escrow is on)
            self.issuer.revoke(
                int(cur.enc_cert_serial, 16),
                "keyCompromise" if lost else "superseded",
                request_id=f"{job.order_no}:replace:revoke:enc",
            )
        with self.repo.db.atomic():
            if cur.state in (KeyState.ACTIVE, KeyState.SUSPENDED):
                self.repo.transition(
                    old_serial,
                    KeyState.LOST if lost else KeyState.DAMAGED,
                    actor=actor,
                    reason="reported by holder",
                    order_no=job.order_no,
                )
            self.repo.transition(
                old_serial,
                KeyState.TERMINATED,
                actor=actor,
                reason=f"replaced by key {new_serial}",
                order_no=job.order_no,
            )

    # == inspection =============================================================================

    def read_key(self, serial: str) -> dict[str, Any]:
        """Public objects on a key: certificate (DER), seal (DER), key pair ids."""
        with self.tokens.session(serial) as s:
            objs = s.objects()
        out: dict[str, Any] = {"objects": objs, "certificate": None, "seal": None}
        for o in objs:
            if o.kind == "certificate" and o.value:
                out["certificate"] = o.value
            if o.kind == "data" and o.label == SEAL_LABEL and o.value:
                out["seal"] = o.value
        return out

    # == helpers ================================================================================

    def _record(self, serial: str) -> KeyRecord:
        rec = self.repo.get(serial)
        if rec is None:
            raise KeyServiceError(f"Key {serial} is not known here", code="keys.unknown_key")
        return rec

    def _so_pin(self, rec: KeyRecord) -> str:
        if rec.so_pin_enc is None:
            raise KeyServiceError(
                f"No SO PIN is stored for key {rec.serial}", code="keys.no_so_pin"
            )
        return self.vault.open(rec.so_pin_enc, rec.serial)

    def _result(self, job: KeyJob, serial: str) -> IssueResult:
        j = self._job(job)
        assert j.cert_der is not None
        return IssueResult(
            serial=serial,
            order_no=j.order_no,
            cert_der=j.cert_der,
            seal_der=j.seal_der,
            user_pin="",
        )

    @staticmethod
    def _csr(
        s: KeySession, key_id: bytes | None, order_no: str, *, spki: bytes | None = None
    ) -> bytes:
        """A PKCS#10 request for the key pair ``key_id``, signed on the key (``spki``: the
        public key when the caller just made the pair; read from the key otherwise)."""
        assert key_id is not None
        spki = spki or s.public_key(key_id)
        if spki is None:
            raise KeyServiceError(
                f"The key pair is missing from key {s.serial}", code="keys.no_keypair"
            )
        info = asn1csr.CertificationRequestInfo(
            {
                "version": "v1",
                "subject": asn1csr.Name.build({"common_name": order_no}),
                "subject_pk_info": asn1keys.PublicKeyInfo.load(spki),
                "attributes": [],
            }
        )
        sig, alg = s.sign(key_id, info.dump())
        return asn1csr.CertificationRequest(
            {
                "certification_request_info": info,
                "signature_algorithm": {"algorithm": alg},
                "signature": sig,
            }
        ).dump()

    @staticmethod
    def _check_cert_matches(cert_der: bytes, csr_der: bytes) -> None:
        cert = x509.load_der_x509_certificate(cert_der)
        csr = x509.load_der_x509_csr(csr_der)
        fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if cert.public_key().public_bytes(*fmt) != csr.public_key().public_bytes(*fmt):
            raise KeyServiceError(
                "The certificate from the CA is for another key pair; it was not written",
                code="keys.cert_mismatch",
            )

    @staticmethod
    def _verify_on_key(s: KeySession, key_id: bytes, cert_der: bytes) -> None:
        """Sign a fresh challenge on the key and check it against the certificate."""
        cert = x509.load_der_x509_certificate(cert_der)
        challenge = secrets.token_bytes(32)
        # the private key on the key signs; the certificate's public key must verify it
        sig, _alg = s.sign(key_id, challenge)
        pub = cert.public_key()
        try:
            if isinstance(pub, rsa.RSAPublicKey):
                pub.verify(sig, challenge, padding.PKCS1v15(), hashes.SHA256())
            elif isinstance(pub, ec.EllipticCurvePublicKey):
                pub.verify(sig, challenge, ec.ECDSA(hashes.SHA256()))
            else:
                raise InvalidSignature("unsupported key")
        except InvalidSignature as e:
            raise KeyServiceError(
                "The key's signature does not verify against its certificate",
                code="keys.verify_failed",
            ) from e

    def _make_seal(
        self, seal: SealRequest, cert_der: bytes, request_id: str, *, es_id: str
    ) -> bytes:
        cert = x509.load_der_x509_certificate(cert_der)
        spec = SealSpec(
            es_id=es_id,
            name=seal.name,
            seal_type=seal.seal_type,
            certs=(cert_der,),
            valid_start=cert.not_valid_before_utc,
            valid_end=cert.not_valid_after_utc,
            picture=seal.picture_png,
            width_mm=seal.width_mm,
            height_mm=seal.height_mm,
            created=self.clock.now(),
        )
        return self.issuer.make_seal(spec, request_id=request_id)


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


def _cn(cert_der: bytes) -> str:
    cert = x509.load_der_x509_certificate(cert_der)
    cns = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else "certificate"


def _serial_hex(cert_der: bytes | None) -> str | None:
    if not cert_der:
        return None
    return format(x509.load_der_x509_certificate(cert_der).serial_number, "x")


def _es_id(order_no: str) -> str:
    # 印章编码: the counter's order number keeps it unique and traceable to the visit.
    return "ES-" + order_no


def _seal_request_of(seal_der: bytes) -> SealRequest:
    p = parse_seal(seal_der)
    return SealRequest(p.name, p.picture, p.width_mm, p.height_mm, p.seal_type)


__all__ = [
    "ESCROW_STEPS",
    "ISSUE_STEPS",
    "RECERT_ESCROW_STEPS",
    "SEAL_APPLICATION",
    "SEAL_LABEL",
    "IssueRequest",
    "IssueResult",
    "KeyService",
    "KeyServiceError",
    "Recovery",
    "SealRequest",
    "subject_data_of",
]
