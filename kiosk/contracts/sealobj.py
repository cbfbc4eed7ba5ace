"""The electronic seal object of GB/T 38540-2020 (SESeal, version 4): encode, parse, verify.

Pure: bytes in, bytes or values out; no files, no devices. The structure (as GB/T 38540-2020
section 5 gives it, and as public implementations such as ofdrw's ``org.ofdrw.gm.ses.v4`` read it)::

    SESeal ::= SEQUENCE {
        eSealInfo    SES_SealInfo,
        cert         OCTET STRING,         -- the seal maker's (制章人) certificate
        signAlgID    OBJECT IDENTIFIER,
        signedValue  BIT STRING }          -- over DER(SEQUENCE {eSealInfo, cert, signAlgID})
    SES_SealInfo ::= SEQUENCE {
        header SES_Header, esID IA5String, property SES_ESPropertyInfo,
        picture SES_ESPictrueInfo, extDatas ExtensionDatas OPTIONAL }
    SES_Header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER (4), Vid IA5String }
    SES_ESPropertyInfo ::= SEQUENCE {
        type INTEGER, name UTF8String, certListType INTEGER, certList SES_CertList,
        createDate GeneralizedTime, validStart GeneralizedTime, validEnd GeneralizedTime }
    SES_CertList ::= CHOICE { certs CertInfoList, certDigestList CertDigestList }
    CertInfoList ::= SEQUENCE OF OCTET STRING            -- certListType 1
    CertDigestList ::= SEQUENCE OF CertDigestObj         -- certListType 2
    CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }
    SES_ESPictrueInfo ::= SEQUENCE {
        type IA5String, data OCTET STRING, width INTEGER, height INTEGER }   -- mm
    ExtensionDatas ::= SEQUENCE OF ExtData
    ExtData ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
                           extnValue OCTET STRING }

The two alternatives of SES_CertList are both untagged SEQUENCE OF, so DER cannot tell them
apart: the reader follows ``certListType``, as the standard says. The certificate list holds the
holder's certificate (the seal is bound to it); the seal maker signs the whole.

Public API: :class:`SealSpec`, :func:`build_seal`, :func:`parse_seal`, :class:`ParsedSeal`,
:func:`verify_seal`, :class:`SealCheck`, :data:`SEAL_TYPE_ORG`, :data:`SEAL_TYPE_PERSON`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from asn1crypto import core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kiosk.domain.clock import utc_now
from kiosk.errors import SealError

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

#: Seal types (印章类型) in SES_ESPropertyInfo.type.
SEAL_TYPE_ORG = 1  # 单位印章
SEAL_TYPE_PERSON = 2  # 个人印章

_SIG_OIDS = {
    "1.2.840.10045.4.3.2": "sha256_ecdsa",
    "1.2.840.113549.1.1.11": "sha256_rsa",
    "1.2.156.10197.1.501": "sm2_sm3",
}


class SESHeader(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto declares fields as class lists)
        ("id", core.IA5String),
        ("version", core.Integer),
        ("vid", core.IA5String),
    ]


class CertInfoList(core.SequenceOf):
    _child_spec = core.OctetString


class CertDigestObj(core.Sequence):
    _fields = [  # noqa: RUF012
        ("type", core.PrintableString),
        ("value", core.OctetString),
    ]


class CertDigestList(core.SequenceOf):
    _child_spec = CertDigestObj


class SESPropertyInfo(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto declares fields as class lists)
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("cert_list_type", core.Integer),
        ("cert_list", core.Any),  # CertInfoList or CertDigestList, by cert_list_type
        ("create_date", core.GeneralizedTime),
        ("valid_start", core.GeneralizedTime),
        ("valid_end", core.GeneralizedTime),
    ]


class SESPictureInfo(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto declares fields as class lists)
        ("type", core.IA5String),
        ("data", core.OctetString),
        ("width", core.Integer),
        ("height", core.Integer),
    ]


class ExtData(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto declares fields as class lists)
        ("extn_id", core.ObjectIdentifier),
        ("critical", core.Boolean, {"default": False}),
        ("extn_value", core.OctetString),
    ]


class ExtensionDatas(core.SequenceOf):
    _child_spec = ExtData


class SESSealInfo(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto declares fields as class lists)
        ("header", SESHeader),
        ("es_id", core.IA5String),
        ("property", SESPropertyInfo),
        ("picture", SESPictureInfo),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SESealTBS(core.Sequence):
    """What the seal maker signs."""

    _fields = [  # noqa: RUF012 (asn1crypto declares fields as class lists)
        ("e_seal_info", SESSealInfo),
        ("cert", core.OctetString),
        ("sign_alg_id", core.ObjectIdentifier),
    ]


class SESeal(core.Sequence):
    _fields = [  # noqa: RUF012 (asn1crypto declares fields as class lists)
        ("e_seal_info", SESSealInfo),
        ("cert", core.OctetString),
        ("sign_alg_id", core.ObjectIdentifier),
        ("signed_value", core.OctetBitString),
    ]


@dataclass(frozen=True)
class SealSpec:
    """The content of a seal object.

    Attributes:
        es_id: the seal's code (印章编码), IA5 (ASCII).
        name: the seal's name (印章名称), e.g. "东莞市某某科技有限公司公章".
        seal_type: :data:`SEAL_TYPE_ORG` or :data:`SEAL_TYPE_PERSON`.
        certs: the holder's certificate(s), DER: the seal is bound to them.
        valid_start, valid_end: the seal's validity (equal to the certificate's).
        picture: the image bytes (PNG).
        width_mm, height_mm: the printed size of the picture in millimetres.
        created: when the seal was made (default: now).
        vendor_id: SES_Header.Vid, the maker's product code.
    """

    es_id: str
    name: str
    seal_type: int
    certs: tuple[bytes, ...]
    valid_start: dt.datetime
    valid_end: dt.datetime
    picture: bytes = field(repr=False)
    width_mm: int
    height_mm: int
    picture_type: str = "PNG"
    created: dt.datetime | None = None
    vendor_id: str = "NETCA-KIOSK"


@dataclass(frozen=True)
class ParsedSeal:
    """A seal object read back."""

    version: int
    vendor_id: str
    es_id: str
    seal_type: int
    name: str
    cert_list_type: int
    certs: tuple[bytes, ...]  # DER certificates (type 1) or digests (type 2)
    created: dt.datetime
    valid_start: dt.datetime
    valid_end: dt.datetime
    picture_type: str
    picture: bytes = field(repr=False)
    width_mm: int
    height_mm: int
    maker_cert: bytes = field(repr=False)
    sign_alg: str
    signature: bytes = field(repr=False)
    tbs: bytes = field(repr=False)

    def summary(self) -> dict[str, object]:
        """Plain data for the CLI (no picture bytes)."""
        return {
            "version": self.version,
            "es_id": self.es_id,
            "name": self.name,
            "type": self.seal_type,
            "certs": len(self.certs),
            "valid_start": self.valid_start.isoformat(),
            "valid_end": self.valid_end.isoformat(),
            "picture": f"{self.picture_type} {len(self.picture)} bytes, "
            f"{self.width_mm}x{self.height_mm} mm",
            "sign_alg": self.sign_alg,
        }


def _utc(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None:
        raise SealError("Seal times must carry a time zone", code="seal.obj_time")
    return t.astimezone(dt.UTC).replace(microsecond=0)


def build_seal(
    spec: SealSpec,
    maker_cert: bytes,
    sign_alg: str,
    sign: Callable[[bytes], bytes],
) -> bytes:
    """Encode and sign a SESeal (v4).

    Args:
        spec: the content.
        maker_cert: the seal maker's certificate, DER.
        sign_alg: the signature algorithm OID (dotted), e.g. ``1.2.840.10045.4.3.2``.
        sign: signs the to-be-signed bytes with the seal maker's key (e.g. the hub's
            ``CertificateAuthority.sign_as_seal_maker``).

    Returns:
        the DER SESeal.

    Raises:
        SealError: ``seal.obj_input`` for an empty name, no certificate, a non-ASCII esID, a
            size out of range, or an end before the start.
    """
    if not spec.name.strip():
        raise SealError("A seal needs a name", code="seal.obj_input")
    if not spec.certs:
        raise SealError("A seal must be bound to a certificate", code="seal.obj_input")
    if not spec.es_id.isascii() or not spec.es_id:
        raise SealError("The seal code must be ASCII", code="seal.obj_input")
    if not (1 <= spec.width_mm <= 500 and 1 <= spec.height_mm <= 500):
        raise SealError("Seal size must be 1-500 mm", code="seal.obj_input")
    if spec.picture_type.upper() == "PNG" and not spec.picture.startswith(_PNG_MAGIC):
        raise SealError("The seal picture is not a PNG image", code="seal.obj_input")
    start, end = _utc(spec.valid_start), _utc(spec.valid_end)
    if end <= start:
        raise SealError("The seal's validity ends before it starts", code="seal.obj_input")
    created = _utc(spec.created or utc_now())
    info = SESSealInfo(
        {
            "header": {"id": "ES", "version": 4, "vid": spec.vendor_id},
            "es_id": spec.es_id,
            "property": {
                "type": spec.seal_type,
                "name": spec.name,
                "cert_list_type": 1,
                "cert_list": CertInfoList(list(spec.certs)),
                "create_date": created,
                "valid_start": start,
                "valid_end": end,
            },
            "picture": {
                "type": spec.picture_type,
                "data": spec.picture,
                "width": spec.width_mm,
                "height": spec.height_mm,
            },
        }
    )
    alg = sign_alg
    tbs = SESealTBS({"e_seal_info": info, "cert": maker_cert, "sign_alg_id": alg}).dump()
    signature = sign(tbs)
    return SESeal(
        {
            "e_seal_info": info,
            "cert": maker_cert,
            "sign_alg_id": alg,
            "signed_value": signature,
        }
    ).dump()


def parse_seal(der: bytes) -> ParsedSeal:
    """Read a SESeal (v4).

    Raises:
        SealError: ``seal.obj_parse`` when the bytes are not a version-4 SESeal.
    """
    try:
        seal = SESeal.load(der, strict=True)
        info = seal["e_seal_info"]
        header = info["header"]
        if header["id"].native != "ES":
            raise SealError("Not a seal object (header is not ES)", code="seal.obj_parse")
        version = header["version"].native
        if version != 4:
            raise SealError(
                f"Seal object version {version}; only version 4 is read", code="seal.obj_parse"
            )
        prop = info["property"]
        clt = prop["cert_list_type"].native
        raw_list = prop["cert_list"].dump()
        if clt == 1:
            certs = tuple(CertInfoList.load(raw_list).native)
        elif clt == 2:
            certs = tuple(d["value"] for d in CertDigestList.load(raw_list).native)
        else:
            raise SealError(f"Unknown certListType {clt}", code="seal.obj_parse")
        pic = info["picture"]
        tbs = SESealTBS(
            {
                "e_seal_info": info,
                "cert": seal["cert"],
                "sign_alg_id": seal["sign_alg_id"],
            }
        ).dump()
        return ParsedSeal(
            version=version,
            vendor_id=header["vid"].native,
            es_id=info["es_id"].native,
            seal_type=prop["type"].native,
            name=prop["name"].native,
            cert_list_type=clt,
            certs=certs,
            created=prop["create_date"].native,
            valid_start=prop["valid_start"].native,
            valid_end=prop["valid_end"].native,
            picture_type=pic["type"].native,
            picture=pic["data"].native,
            width_mm=pic["width"].native,
            height_mm=pic["height"].native,
            maker_cert=seal["cert"].native,
            sign_alg=seal["sign_alg_id"].dotted,
            signature=seal["signed_value"].native,
            tbs=tbs,
        )
    except SealError:
        raise
    except (ValueError, TypeError, KeyError) as e:
        raise SealError(f"Not a readable GB/T 38540 seal object: {e}", code="seal.obj_parse") from e


@dataclass(frozen=True)
class SealCheck:
    """The result of :func:`verify_seal`: each check by name, and the parsed seal."""

    seal: ParsedSeal
    checks: dict[str, tuple[bool, str]]

    @property
    def ok(self) -> bool:
        """Every check passed."""
        return all(ok for ok, _ in self.checks.values())


def _verify_sig(cert: x509.Certificate, alg: str, sig: bytes, data: bytes) -> None:
    pub = cert.public_key()
    kind = _SIG_OIDS.get(alg)
    if kind == "sha256_ecdsa" and isinstance(pub, ec.EllipticCurvePublicKey):
        pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    elif kind == "sha256_rsa" and isinstance(pub, rsa.RSAPublicKey):
        pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise InvalidSignature(f"algorithm {alg} does not match the certificate's key")


def _check_picture(p: ParsedSeal) -> tuple[bool, str]:
    from PIL import Image, UnidentifiedImageError

    if p.picture_type.upper() != "PNG":
        return False, f"picture type {p.picture_type} (the kiosk writes PNG)"
    if not p.picture.startswith(_PNG_MAGIC):
        return False, "picture data is not PNG"
    try:
        with Image.open(io.BytesIO(p.picture)) as im:
            im.verify()
        with Image.open(io.BytesIO(p.picture)) as im:
            w, h = im.size
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        return False, f"picture does not decode: {e}"
    if not (1 <= p.width_mm <= 500 and 1 <= p.height_mm <= 500):
        return False, f"size {p.width_mm}x{p.height_mm} mm out of range"
    # the drawn aspect ratio should follow the pixels (a round seal stays round)
    if abs((w / h) - (p.width_mm / p.height_mm)) > 0.05 * (w / h):
        return False, f"{w}x{h} px does not match {p.width_mm}x{p.height_mm} mm"
    return True, f"PNG {w}x{h} px, {p.width_mm}x{p.height_mm} mm"


def verify_seal(
    der: bytes,
    *,
    trusted_cas: list[bytes] | None = None,
    at: dt.datetime | None = None,
) -> SealCheck:
    """Parse a seal and check its signature, picture, validity and (optionally) the maker's CA.

    Args:
        der: the SESeal.
        trusted_cas: CA certificates (DER); when given, the maker's certificate must be signed
            by one of them.
        at: the time validity is checked at (default now).

    Raises:
        SealError: ``seal.obj_parse`` when it is not a seal object at all; failed checks are
            reported in the result, not raised.
    """
    p = parse_seal(der)
    checks: dict[str, tuple[bool, str]] = {}
    try:
        maker = x509.load_der_x509_certificate(p.maker_cert)
    except ValueError as e:
        checks["maker_certificate"] = (False, f"does not parse: {e}")
        maker = None
    if maker is not None:
        try:
            _verify_sig(maker, p.sign_alg, p.signature, p.tbs)
            checks["signature"] = (
                True,
                f"{_SIG_OIDS.get(p.sign_alg, p.sign_alg)} by {maker.subject.rfc4514_string()}",
            )
        except InvalidSignature as e:
            checks["signature"] = (False, f"does not verify {e}".strip())
        if trusted_cas is not None:
            ok = False
            for ca_der in trusted_cas:
                ca = x509.load_der_x509_certificate(ca_der)
                try:
                    maker.verify_directly_issued_by(ca)
                    ok = True
                    break
                except (ValueError, TypeError, InvalidSignature):
                    continue
            checks["maker_issuer"] = (ok, "issued by a trusted CA" if ok else "unknown issuer")
    checks["picture"] = _check_picture(p)
    when = (at or utc_now()).astimezone(dt.UTC)
    inside = p.valid_start <= when <= p.valid_end
    checks["validity"] = (inside, f"{p.valid_start:%Y-%m-%d} to {p.valid_end:%Y-%m-%d}")
    if p.cert_list_type == 1:
        try:
            for c in p.certs:
                x509.load_der_x509_certificate(c)
            checks["holder_certificates"] = (True, f"{len(p.certs)} certificate(s)")
        except ValueError as e:
            checks["holder_certificates"] = (False, f"does not parse: {e}")
    return SealCheck(seal=p, checks=checks)


def cert_digest(cert_der: bytes) -> str:
    """SHA-256 hex of a certificate (to compare a seal's binding with a key's certificate)."""
    return hashlib.sha256(cert_der).hexdigest()
