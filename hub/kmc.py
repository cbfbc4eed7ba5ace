"""The hub's key management centre (KMC, 密钥管理中心): encryption key pairs made and escrowed here.

The dual-certificate practice of Chinese CAs (双证书): the holder's *signing* key pair is made on
the USB key and never leaves it; the *encryption* key pair is made by the KMC, kept in escrow so
it can be recovered (密钥恢复) when the key that carries it is lost or broken, and certified with
its own encryption certificate (keyEncipherment, the same subject as the signing certificate).

At rest each escrowed private key (PKCS#8 DER) is sealed with AES-256-GCM under the KMC master
key (``<kmc dir>/kmc.master``, 32 random bytes, mode 0600, made on first start), with the
encryption certificate's serial as associated data, so a row moved onto another serial does not
open. Nothing here logs key material.

On the wire the private key never travels in clear: the kiosk sends a fresh RSA *transport*
public key made on the USB key (a session object that never leaves it); the KMC wraps the
private key with AES key wrap with padding (RFC 5649) under a one-time AES-256 key, and that key
with RSA-OAEP under the transport key. The key unwraps both inside the token (``C_UnwrapKey``).
OAEP uses SHA-1 with MGF1-SHA-1 because SoftHSM2 2.6 accepts no other OAEP hash; OAEP-SHA-1 is
still sound for key transport (SHA-1's collision weakness does not reach OAEP).

Every call is idempotent per request id (a repeat re-wraps the *same* key under the transport key
it brings), and every escrow, recovery and refusal is a row in ``kmc_audit`` (which kiosk, which
order, the agent's ID digest, which serials, when).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from hub.db import HubDB
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from hub.ca import CertificateAuthority

log = logging.getLogger("hub.kmc")

#: How the answer's key is wrapped (the kiosk checks it names what it can unwrap).
WRAP_SCHEME = "rsa-oaep-sha1/aes-kwp"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS escrowed_keys (
    request_id TEXT PRIMARY KEY,
    kiosk TEXT NOT NULL,
    signing_serial TEXT NOT NULL,
    encryption_serial TEXT NOT NULL UNIQUE,
    profile TEXT NOT NULL,
    subject TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    sealed_key TEXT NOT NULL,
    escrowed_at TEXT NOT NULL,
    holder_digest TEXT
);
CREATE TABLE IF NOT EXISTS kmc_audit (
    id {serial},
    at TEXT NOT NULL,
    kiosk TEXT NOT NULL,
    action TEXT NOT NULL,
    request_id TEXT NOT NULL,
    order_no TEXT,
    agent_digest TEXT,
    signing_serial TEXT,
    encryption_serial TEXT,
    detail TEXT NOT NULL DEFAULT ''
)
"""

_SERIAL = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgresql": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
}


class KmcError(KioskError):
    """The KMC refused a request (unknown or revoked certificate, another holder, bad input)."""

    title = "Key management centre"
    code = "kmc.error"
    status = 422


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Delivery:
    """An escrowed encryption key, wrapped for one transport key, and its certificate."""

    request_id: str
    status: str
    encryption_serial: str
    certificate_pem: str
    wrapped_kek: bytes
    wrapped_key: bytes

    def wire(self) -> dict[str, Any]:
        """The JSON answer of the KMC endpoints."""
        return {
            "request_id": self.request_id,
            "status": self.status,
            "encryption_serial": self.encryption_serial,
            "certificate_pem": self.certificate_pem,
            "wrap": WRAP_SCHEME,
            "wrapped_kek": base64.b64encode(self.wrapped_kek).decode(),
            "wrapped_key": base64.b64encode(self.wrapped_key).decode(),
        }


@dataclass(frozen=True)
class Recertified:
    """A new encryption certificate for an escrowed key pair (no key material)."""

    request_id: str
    status: str
    encryption_serial: str
    certificate_pem: str
    replaces: str

    def wire(self) -> dict[str, Any]:
        """The JSON answer of ``POST /kmc/recertify``."""
        return {
            "request_id": self.request_id,
            "status": self.status,
            "encryption_serial": self.encryption_serial,
            "certificate_pem": self.certificate_pem,
            "replaces": self.replaces,
        }


class KeyManagementCentre:
    """The KMC: escrow and recovery of encryption key pairs, over the hub's DB and CA.

    Args:
        directory: where the master key lives (made on first start, 0600).
        db: the hub's database (tables ``escrowed_keys`` and ``kmc_audit`` are created).
        ca: the issuing CA (``hub.ca.CertificateAuthority``: ``issue_encryption_certificate``,
            ``status``).
        create: make the master key when absent (training and first start); False refuses.

    Raises:
        KmcError: ``kmc.no_master_key`` (absent and not ``create``), ``kmc.bad_master_key``.
    """

    def __init__(
        self, directory: Path, db: HubDB, ca: CertificateAuthority, *, create: bool = True
    ):
        self.directory = Path(directory)
        self.db = db
        self.ca = ca
        path = self.directory / "kmc.master"
        if not path.exists():
            if not create:
                raise KmcError(f"no KMC master key in {self.directory}", code="kmc.no_master_key")
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        master = path.read_bytes()
        if len(master) != 32:
            raise KmcError(f"the KMC master key {path} is not 32 bytes", code="kmc.bad_master_key")
        self._aead = AESGCM(master)
        ensure_schema(db)

    # -- at rest -------------------------------------------------------------------------------

    def _seal(self, pkcs8: bytes, enc_serial: str) -> str:
        nonce = secrets.token_bytes(12)
        ct = self._aead.encrypt(nonce, pkcs8, b"kmc:" + enc_serial.encode())
        return base64.b64encode(nonce + ct).decode()

    def _open(self, sealed: str, enc_serial: str) -> bytes:
        raw = base64.b64decode(sealed)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], b"kmc:" + enc_serial.encode())
        except InvalidTag as e:
            raise KmcError(
                f"escrowed key {enc_serial} does not open under this KMC's master key",
                code="kmc.sealed_key",
            ) from e

    # -- the two services ----------------------------------------------------------------------

    def escrow(self, kiosk: str, body: Any, now: dt.datetime | None = None) -> Delivery:
        """``POST /kmc/escrow``: make, certify and escrow the encryption key pair for a signing
        certificate issued here (once per request id), and deliver it wrapped.

        Body: ``{"request_id", "signing_serial", "transport_key": b64 SPKI, "order_no"?}``.

        Raises:
            KmcError: bad input, unknown / revoked / expired signing certificate, a request id
                reused for another certificate.
        """
        now = now or dt.datetime.now(dt.UTC)
        rid, transport = self._common(body)
        signing = _serial(body.get("signing_serial"), "signing_serial")
        order_no = _opt_str(body.get("order_no"))
        holder = _opt_str(body.get("holder_digest"))
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT signing_serial, encryption_serial, certificate_pem, sealed_key, kiosk "
                "FROM escrowed_keys WHERE request_id = ?",
                (rid,),
            )
        if row is not None:
            if row[0] != signing or row[4] != kiosk:
                raise KmcError(
                    f"request id {rid} was already used for another certificate",
                    code="kmc.request_id_reused",
                )
            return self._deliver(rid, "already_escrowed", row[1], row[2], row[3], transport)
        profile, subject, nb, na = self._valid_signing(kiosk, rid, signing, order_no, None, now)
        if profile == "individual" and not holder:
            # an individual certificate's subject names the person only; the KMC keeps who the
            # holder is (a digest of the ID number) to recognise them at recovery
            raise KmcError(
                "an individual certificate's escrow needs holder_digest (the holder's ID digest)",
                code="kmc.holder_digest_missing",
            )
        key = rsa.generate_private_key(65537, 2048)
        cert_der = self.ca.issue_encryption_certificate(
            key.public_key(), profile, subject, max(nb, now.replace(microsecond=0)), na
        )
        cert = x509.load_der_x509_certificate(cert_der)
        enc_serial = format(cert.serial_number, "x")
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        pkcs8 = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        sealed = self._seal(pkcs8, enc_serial)
        stamp = _iso(now)
        with self.db.transaction() as tx:
            inserted = tx.execute(
                "INSERT INTO escrowed_keys (request_id, kiosk, signing_serial, "
                "encryption_serial, profile, subject, certificate_pem, sealed_key, escrowed_at, "
                "holder_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (request_id) DO NOTHING",
                (
                    rid,
                    kiosk,
                    signing,
                    enc_serial,
                    profile,
                    json.dumps(subject, ensure_ascii=False, sort_keys=True),
                    pem,
                    sealed,
                    stamp,
                    holder if profile == "individual" else None,
                ),
            )
            if inserted:
                # the encryption certificate is one the hub issued: revocable by serial
                tx.execute(
                    "INSERT INTO certificates (request_id, kiosk, serial, profile, subject, "
                    "csr_digest, certificate_pem, not_before, not_after, issued_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
                    (
                        "kmc:" + rid,
                        kiosk,
                        enc_serial,
                        profile,
                        json.dumps(subject, ensure_ascii=False, sort_keys=True),
                        "kmc",
                        pem,
                        _iso(cert.not_valid_before_utc),
                        _iso(cert.not_valid_after_utc),
                        stamp,
                    ),
                )
                self._audit(tx, kiosk, "escrowed", rid, order_no, None, signing, enc_serial, "")
            row = tx.one(
                "SELECT signing_serial, encryption_serial, certificate_pem, sealed_key, kiosk "
                "FROM escrowed_keys WHERE request_id = ?",
                (rid,),
            )
        if not inserted:  # a racing resend won: its key stands, ours is withdrawn
            self.ca.revoke(cert.serial_number, "superseded")
        assert row is not None
        log.info("kmc: escrowed encryption key %s for %s (kiosk %s)", row[1], signing, kiosk)
        return self._deliver(rid, "escrowed", row[1], row[2], row[3], transport)

    def recover(self, kiosk: str, body: Any, now: dt.datetime | None = None) -> Delivery:
        """``POST /kmc/recover``: hand the escrowed encryption key back, wrapped for the
        holder's key, after checking the holder's signing certificate is valid and names the
        same holder, and that the encryption certificate is not revoked. Audited either way.

        Body: ``{"request_id", "signing_serial", "encryption_serial", "transport_key",
        "order_no", "agent_digest"}``.

        Raises:
            KmcError: ``kmc.unknown_key`` (404), ``kmc.cert_revoked``, ``kmc.cert_expired``,
                ``kmc.unknown_certificate``, ``kmc.other_holder``, bad input.
        """
        now = now or dt.datetime.now(dt.UTC)
        rid, transport = self._common(body)
        signing = _serial(body.get("signing_serial"), "signing_serial")
        enc = _serial(body.get("encryption_serial"), "encryption_serial")
        order_no = _opt_str(body.get("order_no"))
        agent = _opt_str(body.get("agent_digest"))
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT profile, subject, certificate_pem, sealed_key, holder_digest "
                "FROM escrowed_keys WHERE encryption_serial = ?",
                (enc,),
            )
        if row is None:
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.unknown_key")
            raise KmcError(f"no encryption key {enc} is in escrow here", code="kmc.unknown_key")
        profile, subject, *_ = self._valid_signing(kiosk, rid, signing, order_no, agent, now, enc)
        if not _same_holder(profile, subject, agent, row[0], json.loads(row[1]), row[4]):
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.other_holder")
            raise KmcError(
                f"certificate {signing} and escrowed key {enc} belong to different holders",
                code="kmc.other_holder",
            )
        st = self.ca.status(int(enc, 16))
        if st.revoked_at is not None:
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.cert_revoked")
            raise KmcError(
                f"the encryption certificate {enc} is revoked ({st.reason}); its key is not "
                "recovered",
                code="kmc.cert_revoked",
            )
        with self.db.transaction() as tx:
            seen = tx.one(
                "SELECT 1 FROM kmc_audit WHERE request_id = ? AND action = 'recovered'", (rid,)
            )
            if seen is None:
                self._audit(tx, kiosk, "recovered", rid, order_no, agent, signing, enc, "")
        log.info("kmc: encryption key %s recovered for %s (kiosk %s)", enc, order_no, kiosk)
        status = "already_recovered" if seen else "recovered"
        return self._deliver(rid, status, enc, row[2], row[3], transport)

    def recertify(self, kiosk: str, body: Any, now: dt.datetime | None = None) -> Recertified:
        """``POST /kmc/recertify``: a new encryption certificate for the *same* escrowed key
        pair, after the holder's signing certificate was renewed (更新) or changed (变更): the
        subject and validity of the new signing certificate, nothing private on the wire. The
        key is sealed again under the new serial (a new ``escrowed_keys`` row, the holder's
        digest carried over), so a later recovery by the new serial finds it. The kiosk revokes
        the previous encryption certificate once the new one is on the key. Once per request id;
        audited (``recertified``, detail ``replaces <serial>``).

        Body: ``{"request_id", "signing_serial" (the new one), "encryption_serial" (the one
        on the key), "order_no"?, "agent_digest"?}``.

        Raises:
            KmcError: ``kmc.unknown_key`` (404), ``kmc.cert_revoked`` (either certificate),
                ``kmc.cert_expired``, ``kmc.unknown_certificate``, ``kmc.other_holder``,
                ``kmc.request_id_reused``, bad input.
        """
        now = now or dt.datetime.now(dt.UTC)
        rid = _request_id(body)
        signing = _serial(body.get("signing_serial"), "signing_serial")
        enc = _serial(body.get("encryption_serial"), "encryption_serial")
        order_no = _opt_str(body.get("order_no"))
        agent = _opt_str(body.get("agent_digest"))
        with self.db.transaction() as tx:
            done = tx.one(
                "SELECT signing_serial, encryption_serial, certificate_pem, kiosk "
                "FROM escrowed_keys WHERE request_id = ?",
                (rid,),
            )
            old = tx.one(
                "SELECT profile, subject, sealed_key, holder_digest FROM escrowed_keys "
                "WHERE encryption_serial = ?",
                (enc,),
            )
        if done is not None:
            if done[0] != signing or done[3] != kiosk:
                raise KmcError(
                    f"request id {rid} was already used for another certificate",
                    code="kmc.request_id_reused",
                )
            return Recertified(rid, "already_recertified", done[1], done[2], enc)
        if old is None:
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.unknown_key")
            raise KmcError(f"no encryption key {enc} is in escrow here", code="kmc.unknown_key")
        profile, subject, nb, na = self._valid_signing(
            kiosk, rid, signing, order_no, agent, now, enc
        )
        if not _same_holder(profile, subject, agent, old[0], json.loads(old[1]), old[3]):
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.other_holder")
            raise KmcError(
                f"certificate {signing} and escrowed key {enc} belong to different holders",
                code="kmc.other_holder",
            )
        st = self.ca.status(int(enc, 16))
        if st.revoked_at is not None:
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.cert_revoked")
            raise KmcError(
                f"the encryption certificate {enc} is revoked ({st.reason}); its key is not "
                "certified again",
                code="kmc.cert_revoked",
            )
        pkcs8 = self._open(old[2], enc)
        key = serialization.load_der_private_key(pkcs8, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        cert_der = self.ca.issue_encryption_certificate(
            key.public_key(), profile, subject, max(nb, now.replace(microsecond=0)), na
        )
        cert = x509.load_der_x509_certificate(cert_der)
        new_serial = format(cert.serial_number, "x")
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        subject_json = json.dumps(subject, ensure_ascii=False, sort_keys=True)
        stamp = _iso(now)
        with self.db.transaction() as tx:
            inserted = tx.execute(
                "INSERT INTO escrowed_keys (request_id, kiosk, signing_serial, "
                "encryption_serial, profile, subject, certificate_pem, sealed_key, escrowed_at, "
                "holder_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (request_id) DO NOTHING",
                (
                    rid,
                    kiosk,
                    signing,
                    new_serial,
                    profile,
                    subject_json,
                    pem,
                    self._seal(pkcs8, new_serial),
                    stamp,
                    old[3],
                ),
            )
            if inserted:
                tx.execute(
                    "INSERT INTO certificates (request_id, kiosk, serial, profile, subject, "
                    "csr_digest, certificate_pem, not_before, not_after, issued_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
                    (
                        "kmc:" + rid,
                        kiosk,
                        new_serial,
                        profile,
                        subject_json,
                        "kmc",
                        pem,
                        _iso(cert.not_valid_before_utc),
                        _iso(cert.not_valid_after_utc),
                        stamp,
                    ),
                )
                self._audit(
                    tx,
                    kiosk,
                    "recertified",
                    rid,
                    order_no,
                    agent,
                    signing,
                    new_serial,
                    f"replaces {enc}",
                )
            row = tx.one(
                "SELECT encryption_serial, certificate_pem FROM escrowed_keys WHERE request_id = ?",
                (rid,),
            )
        if not inserted:  # a racing resend won: its certificate stands, ours is withdrawn
            self.ca.revoke(cert.serial_number, "superseded")
        assert row is not None
        log.info("kmc: encryption key %s certified again as %s for %s", enc, row[0], signing)
        return Recertified(rid, "recertified", row[0], row[1], enc)

    def status(self) -> dict[str, Any]:
        """``GET /kmc/status``: the KMC is there, how many keys it holds, and whether its master
        key opens the most recent of them (a KMC restored without its ``kmc.master`` says
        ``"does_not_open"``; one that holds nothing yet ``"unused"``). One AES-GCM open; no
        key material in the answer."""
        with self.db.transaction() as tx:
            (count,) = tx.one("SELECT COUNT(*) FROM escrowed_keys") or (0,)
            last = tx.one(
                "SELECT encryption_serial, sealed_key FROM escrowed_keys "
                "ORDER BY escrowed_at DESC, encryption_serial LIMIT 1"
            )
        master = "unused"
        if last is not None:
            try:
                self._open(last[1], last[0])
                master = "opens"
            except KmcError:
                master = "does_not_open"
        return {
            "status": "ok" if master != "does_not_open" else "bad_master_key",
            "escrowed": int(count),
            "master_key": master,
            "wrap": WRAP_SCHEME,
            "ca": self.ca is not None,
        }

    def audit_rows(self) -> list[dict[str, Any]]:
        """Every audit row, oldest first (see :func:`audit_rows`)."""
        return audit_rows(self.db)

    # -- helpers -------------------------------------------------------------------------------

    def _common(self, body: Any) -> tuple[str, rsa.RSAPublicKey]:
        rid = _request_id(body)
        try:
            pub = serialization.load_der_public_key(
                base64.b64decode(str(body.get("transport_key", "")), validate=True)
            )
        except ValueError as e:
            raise KmcError(
                f"transport_key is not a base64 DER public key: {e}", code="kmc.bad_transport_key"
            ) from e
        if not isinstance(pub, rsa.RSAPublicKey) or pub.key_size < 2048:
            raise KmcError(
                "transport_key must be an RSA key of 2048 bits or more",
                code="kmc.bad_transport_key",
            )
        return rid, pub

    def _valid_signing(
        self,
        kiosk: str,
        rid: str,
        signing: str,
        order_no: str | None,
        agent: str | None,
        now: dt.datetime,
        enc: str | None = None,
    ) -> tuple[str, dict[str, str], dt.datetime, dt.datetime]:
        """The signing certificate's profile, subject data and validity, if it was issued here
        and is neither revoked nor expired (refusals are audited)."""
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT profile, subject, not_before, not_after, revoked_at FROM certificates "
                "WHERE serial = ? AND csr_digest != 'kmc'",
                (signing,),
            )
        if row is None:
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.unknown_certificate")
            raise KmcError(
                f"no signing certificate {signing} was issued by this hub",
                code="kmc.unknown_certificate",
            )
        if row[4] is not None:
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.cert_revoked")
            raise KmcError(f"the signing certificate {signing} is revoked", code="kmc.cert_revoked")
        nb = dt.datetime.fromisoformat(row[2].replace("Z", "+00:00"))
        na = dt.datetime.fromisoformat(row[3].replace("Z", "+00:00"))
        if na <= now:
            self._refuse(kiosk, rid, order_no, agent, signing, enc, "kmc.cert_expired")
            raise KmcError(
                f"the signing certificate {signing} expired on {row[3]}; renew it first",
                code="kmc.cert_expired",
            )
        return str(row[0]), dict(json.loads(row[1])), nb, na

    def _deliver(
        self,
        rid: str,
        status: str,
        enc_serial: str,
        pem: str,
        sealed: str,
        transport: rsa.RSAPublicKey,
    ) -> Delivery:
        pkcs8 = self._open(sealed, enc_serial)
        kek = secrets.token_bytes(32)
        wrapped_key = aes_key_wrap_with_padding(kek, pkcs8)
        wrapped_kek = transport.encrypt(
            kek,
            padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
        )
        return Delivery(rid, status, enc_serial, pem, wrapped_kek, wrapped_key)

    def _audit(
        self,
        tx: Any,
        kiosk: str,
        action: str,
        rid: str,
        order_no: str | None,
        agent: str | None,
        signing: str | None,
        enc: str | None,
        detail: str,
    ) -> None:
        tx.execute(
            "INSERT INTO kmc_audit (at, kiosk, action, request_id, order_no, agent_digest, "
            "signing_serial, encryption_serial, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _iso(dt.datetime.now(dt.UTC)),
                kiosk,
                action,
                rid,
                order_no,
                agent,
                signing,
                enc,
                detail,
            ),
        )

    def _refuse(
        self,
        kiosk: str,
        rid: str,
        order_no: str | None,
        agent: str | None,
        signing: str | None,
        enc: str | None,
        code: str,
    ) -> None:
        with self.db.transaction() as tx:
            self._audit(tx, kiosk, "refused", rid, order_no, agent, signing, enc, code)


AUDIT_FIELDS = (
    "at",
    "kiosk",
    "action",
    "request_id",
    "order_no",
    "agent_digest",
    "signing_serial",
    "encryption_serial",
    "detail",
)


def ensure_schema(db: HubDB) -> None:
    """Create the KMC's tables (idempotent); reading the audit needs no master key."""
    with db.transaction() as tx:
        for stmt in _SCHEMA.replace("{serial}", _SERIAL[db.dialect]).split(";"):
            if stmt.strip():
                tx.execute(stmt)
        # escrowed_keys before the holder's ID digest was kept (issue 9, dual certificates)
        if db.dialect == "postgresql":
            tx.execute("ALTER TABLE escrowed_keys ADD COLUMN IF NOT EXISTS holder_digest TEXT")
        elif "holder_digest" not in {r[1] for r in tx.all("PRAGMA table_info(escrowed_keys)")}:
            tx.execute("ALTER TABLE escrowed_keys ADD COLUMN holder_digest TEXT")


def audit_rows(db: HubDB) -> list[dict[str, Any]]:
    """The KMC audit, oldest first: who (kiosk, agent digest) escrowed, recovered or was
    refused what (serials, the refusal's code), for which order, when (UTC)
    (``kiosk hub kmc-audit``)."""
    ensure_schema(db)
    with db.transaction() as tx:
        rows = tx.all(f"SELECT {', '.join(AUDIT_FIELDS)} FROM kmc_audit ORDER BY id")
    return [dict(zip(AUDIT_FIELDS, r, strict=True)) for r in rows]


def _request_id(body: Any) -> str:
    if not isinstance(body, dict):
        raise KmcError("request body must be a JSON object", code="kmc.bad_request")
    rid = body.get("request_id")
    if not isinstance(rid, str) or not 8 <= len(rid) <= 64:
        raise KmcError("request_id must be a string of 8-64 characters", code="kmc.bad_request")
    return rid


def _serial(v: Any, field: str) -> str:
    if not isinstance(v, str) or not v or len(v) > 64:
        raise KmcError(f"{field} must be a hex serial", code="kmc.bad_request")
    try:
        return format(int(v, 16), "x")
    except ValueError as e:
        raise KmcError(f"{field} must be a hex serial", code="kmc.bad_request") from e


def _opt_str(v: Any) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str) or len(v) > 128:
        raise KmcError("order_no and agent_digest must be short strings", code="kmc.bad_request")
    return v


def _same_holder(
    profile: str,
    subject: dict[str, Any],
    agent: str | None,
    e_profile: str,
    e_subject: dict[str, Any],
    e_holder: str | None,
) -> bool:
    """Is the holder of a signing certificate (``profile``, ``subject``; ``agent``: the ID
    digest of the person at the counter) the holder of an escrowed key (``e_*``)?

    Same kind; a unit certificate's holder is the unit (same USCC; a change may rename it); a
    legal representative's is the unit and the named person; an individual's is the *person*,
    whose certificate subject carries only a name, so the KMC compares the digest of the ID
    number kept at escrow with the agent's: another person of the same name is refused, the
    same person after a change of name is not."""
    if profile != e_profile:
        return False
    if (
        profile in ("org", "legal-rep")
        and (subject.get("uscc") or "").upper() != (e_subject.get("uscc") or "").upper()
    ):
        return False
    if profile == "legal-rep":
        return bool(subject.get("person_name") == e_subject.get("person_name"))
    if profile == "individual":
        return bool(agent and e_holder and secrets.compare_digest(agent, e_holder))
    return True
