"""SO PINs kept for later unlocks: AES-256-GCM under a secret in the data directory.

The secret is 32 random bytes in ``<data dir>/secrets/keys.secret`` (mode 0600), made on first
use. Each SO PIN is bound to its key serial as associated data, so a ciphertext copied onto another
key's row does not decrypt. Clear PINs exist only in memory, never in the store or a log.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.errors import StoreError

_NONCE = 12


def random_digits(n: int = 8) -> str:
    """A random PIN of ``n`` decimal digits (from the OS CSPRNG)."""
    return "".join(secrets.choice("0123456789") for _ in range(n))


def random_so_pin() -> str:
    """A random SO PIN: 16 characters of letters and digits (never shown to anyone)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


class PinVault:
    """Encrypts and decrypts SO PINs with the data directory's secret.

    Args:
        secret_file: where the 32-byte secret lives (created with mode 0600 when missing).
    """

    def __init__(self, secret_file: Path):
        self.secret_file = Path(secret_file)
        self._aead: AESGCM | None = None

    def _key(self) -> AESGCM:
        if self._aead is None:
            f = self.secret_file
            try:
                if not f.exists():
                    f.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as out:
                        out.write(secrets.token_bytes(32))
                raw = f.read_bytes()
            except OSError as e:
                raise StoreError(f"Cannot read the key secret {f}: {e}", code="keys.secret") from e
            if len(raw) != 32:
                raise StoreError(f"The key secret {f} is damaged", code="keys.secret")
            self._aead = AESGCM(raw)
        return self._aead

    def seal(self, pin: str, serial: str) -> bytes:
        """Encrypt a PIN for one key (the serial is authenticated, not stored inside)."""
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._key().encrypt(nonce, pin.encode(), serial.encode())

    def open(self, blob: bytes, serial: str) -> str:
        """Decrypt a PIN sealed for ``serial``.

        Raises:
            StoreError: ``keys.secret`` when it does not decrypt (wrong key, wrong secret).
        """
        try:
            return self._key().decrypt(blob[:_NONCE], blob[_NONCE:], serial.encode()).decode()
        except (InvalidTag, ValueError) as e:
            raise StoreError(
                f"The stored SO PIN of key {serial} does not decrypt with this kiosk's secret",
                code="keys.secret",
            ) from e
