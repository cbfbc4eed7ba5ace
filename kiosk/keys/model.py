"""The vocabulary of the key services: requests, results, the journal's step names, errors.

Pure data and small certificate helpers; nothing here touches a key or the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from hardware.token import KeyAlgorithm
from kiosk.contracts.sealobj import SEAL_TYPE_ORG, parse_seal
from kiosk.contracts.subject import SubjectData
from kiosk.errors import KioskError

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

#: The steps of a renewal (更新) or a change (变更) on the key's existing pair, in order (the
#: journal's names); :data:`RECERT_ESCROW_STEPS` follow when the key carries an escrowed pair.
RECERT_STEPS: tuple[str, ...] = (
    "csr",
    "certify",
    "write_cert",
    "write_seal",
    "verify",
    "revoke_old",
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


def cn_of(cert_der: bytes) -> str:
    cert = x509.load_der_x509_certificate(cert_der)
    cns = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else "certificate"


def serial_hex(cert_der: bytes | None) -> str | None:
    if not cert_der:
        return None
    return format(x509.load_der_x509_certificate(cert_der).serial_number, "x")


def seal_es_id(order_no: str) -> str:
    # 印章编码: the counter's order number keeps it unique and traceable to the visit.
    return "ES-" + order_no


def seal_request_of(seal_der: bytes) -> SealRequest:
    p = parse_seal(seal_der)
    return SealRequest(p.name, p.picture, p.width_mm, p.height_mm, p.seal_type)
