"""An escrowed private key crosses into the key only wrapped (RSA-OAEP-SHA1 + AES-KWP) and is
unwrapped inside SoftHSM2: it decrypts afterwards, the transport key pair is gone, and a damaged
delivery is a named error that leaves the key usable for the next try."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from kiosk.errors import TokenError
from tests.keys_support import KeyEnv

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
PIN = "12345678"


def _key(env: KeyEnv) -> str:
    k = env.tokens.init_token(env.tokens.one_key(blank=True), so_pin="so-pin-1234", label="W")
    with env.tokens.session(k.serial, so_pin="so-pin-1234") as s:
        s.init_user_pin(PIN)
    return k.serial


def _wrap_for(enc: rsa.RSAPrivateKey):
    """What the KMC does (hub.kmc): a one-time AES key wraps the PKCS#8 key, OAEP wraps it."""
    pkcs8 = enc.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    def fetch(spki: bytes) -> tuple[bytes, bytes]:
        transport = serialization.load_der_public_key(spki)
        assert isinstance(transport, rsa.RSAPublicKey) and transport.key_size == 2048
        kek = os.urandom(32)
        return transport.encrypt(kek, OAEP), aes_key_wrap_with_padding(kek, pkcs8)

    return fetch


def test_a_wrapped_key_is_unwrapped_inside_the_key_and_decrypts(env: KeyEnv) -> None:
    serial = _key(env)
    enc = rsa.generate_private_key(65537, 2048)
    with env.tokens.session(serial, user_pin=PIN, rw=True) as s:
        s.import_wrapped_key(b"enc:1", "encryption", _wrap_for(enc))
        privs = [o for o in s.objects() if o.kind == "private_key"]
        assert [o.key_id for o in privs] == [b"enc:1"]  # the transport pair is gone
        ct = enc.public_key().encrypt(b"for the holder only", OAEP)
        assert s.decrypt(b"enc:1", ct) == b"for the holder only"
        # a second delivery (a recovery) replaces the key under the same id
        s.import_wrapped_key(b"enc:1", "encryption", _wrap_for(enc))
        assert len([o for o in s.objects() if o.kind == "private_key"]) == 1
    with env.tokens.session(serial, user_pin=PIN) as s:  # a token object: still there
        assert s.decrypt(b"enc:1", enc.public_key().encrypt(b"again", OAEP)) == b"again"


def test_a_damaged_delivery_is_a_named_error_and_the_next_try_works(env: KeyEnv) -> None:
    serial = _key(env)
    enc = rsa.generate_private_key(65537, 2048)
    good = _wrap_for(enc)

    def damaged(spki: bytes) -> tuple[bytes, bytes]:
        kek, key = good(spki)
        return kek, key[:-8] + bytes(8)

    with env.tokens.session(serial, user_pin=PIN, rw=True) as s:
        with pytest.raises(TokenError) as ei:
            s.import_wrapped_key(b"enc:1", "encryption", damaged)
        assert ei.value.code == "token.unwrap_failed"
    with env.tokens.session(serial, user_pin=PIN, rw=True) as s:
        assert not s.has_private_key(b"enc:1")
        s.import_wrapped_key(b"enc:1", "encryption", good)
        assert s.decrypt(b"enc:1", enc.public_key().encrypt(b"ok", OAEP)) == b"ok"
