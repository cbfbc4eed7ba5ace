"""Operations on the key itself: the certificate request signed on the key, checking the CA's
answer against it, proving the key signs for its certificate, making the seal object, reading
the public objects back."""

from __future__ import annotations

import secrets
from typing import Any

from asn1crypto import csr as asn1csr
from asn1crypto import keys as asn1keys
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from hardware.token import KeySession
from kiosk.contracts.sealobj import SealSpec
from kiosk.keys.context import KeyContext
from kiosk.keys.model import SEAL_LABEL, KeyServiceError, SealRequest


def csr_on_key(
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
    der: bytes = asn1csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": {"algorithm": alg},
            "signature": sig,
        }
    ).dump()
    return der


def check_cert_matches(cert_der: bytes, csr_der: bytes) -> None:
    """Refuse a certificate from the CA that is not for the request's key pair.

    Raises:
        KeyServiceError: ``keys.cert_mismatch``.
    """
    cert = x509.load_der_x509_certificate(cert_der)
    csr = x509.load_der_x509_csr(csr_der)
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if cert.public_key().public_bytes(*fmt) != csr.public_key().public_bytes(*fmt):
        raise KeyServiceError(
            "The certificate from the CA is for another key pair; it was not written",
            code="keys.cert_mismatch",
        )


def verify_on_key(s: KeySession, key_id: bytes, cert_der: bytes) -> None:
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


def make_seal(
    ctx: KeyContext, seal: SealRequest, cert_der: bytes, request_id: str, *, es_id: str
) -> bytes:
    """The SESeal for ``seal`` bound to the certificate ``cert_der``, made by the CA."""
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
        created=ctx.clock.now(),
    )
    return ctx.issuer.make_seal(spec, request_id=request_id)


def read_key(ctx: KeyContext, serial: str) -> dict[str, Any]:
    """Public objects on a key: certificate (DER), seal (DER), key pair ids."""
    with ctx.tokens.session(serial) as s:
        objs = s.objects()
    out: dict[str, Any] = {"objects": objs, "certificate": None, "seal": None}
    for o in objs:
        if o.kind == "certificate" and o.value:
            out["certificate"] = o.value
        if o.kind == "data" and o.label == SEAL_LABEL and o.value:
            out["seal"] = o.value
    return out
