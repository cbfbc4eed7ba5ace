"""USB keys (PKCS#11 tokens): the reader adapter, its settings and the backend factory.

Public API:
    :class:`TokenSettings` - the ``[token]`` section of kiosk.toml.
    :func:`open_tokens` - the adapter for the configured backend (``pkcs11`` or ``softhsm``).
    :class:`Pkcs11Tokens` - list keys, initialise one, open a session on one, watch the reader.
    :class:`KeySession` - key pair, sign, certificate and data objects, PINs on one key.
    :class:`KeyInfo`, :class:`PinState`, :class:`TokenObject`, :class:`KeyAlgorithm`.
    :class:`SlotWatcher` - the polling thread (``Pkcs11Tokens.watch``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hardware.token.adapter import (
    KeyAlgorithm,
    KeyInfo,
    KeySession,
    PinState,
    Pkcs11Tokens,
    SlotWatcher,
    TokenObject,
    wrong_pin_error,
)
from kiosk.errors import ConfigError

__all__ = [
    "BACKENDS",
    "KeyAlgorithm",
    "KeyInfo",
    "KeySession",
    "PinState",
    "Pkcs11Tokens",
    "SlotWatcher",
    "TokenObject",
    "TokenSettings",
    "open_tokens",
    "wrong_pin_error",
]


class TokenSettings(BaseModel):
    """``[token]`` in kiosk.toml: the USB key reader.

    Attributes:
        backend: ``pkcs11`` (the vendor's module at ``module``) or ``softhsm`` (the SoftHSM2
            stand-in under the data directory; tests and training mode).
        module: path of the PKCS#11 module (for ``softhsm``: libsofthsm2.so).
        blank_slots: ``softhsm`` only: how many blank keys the stand-in's stock holds.
        algorithm: the key pair made on a new key: ``rsa2048`` (default) or ``ec-p256``.
        poll_interval: seconds between reader scans by the slot watcher.
    """

    model_config = ConfigDict(extra="forbid")

    backend: Literal["pkcs11", "softhsm"] = "softhsm"
    module: str = "/usr/lib/softhsm/libsofthsm2.so"
    blank_slots: int = Field(default=8, ge=0, le=64)
    algorithm: KeyAlgorithm = KeyAlgorithm.RSA2048
    poll_interval: float = Field(default=0.5, gt=0, le=10)


def _pkcs11(settings: TokenSettings, data_dir: Path) -> Pkcs11Tokens:
    return Pkcs11Tokens(settings.module)


def _softhsm(settings: TokenSettings, data_dir: Path) -> Pkcs11Tokens:
    from hardware.sim.softhsm import SoftHsm2

    sim = SoftHsm2(Path(data_dir) / "softhsm", blank_slots=settings.blank_slots,
                   module_path=settings.module).prepare()
    tokens = Pkcs11Tokens(settings.module, slot_filter=sim.visible, rescan_on_poll=True)
    tokens.standin = sim  # type: ignore[attr-defined]
    return tokens


#: Backends by name (kiosk.toml ``token.backend``).
BACKENDS = {"pkcs11": _pkcs11, "softhsm": _softhsm}


def open_tokens(settings: TokenSettings, data_dir: Path) -> Pkcs11Tokens:
    """Build and open the configured key reader.

    Raises:
        ConfigError: an unknown backend name (lists the known ones).
        TokenError: ``token.module_load`` when the module does not load.
    """
    try:
        factory = BACKENDS[settings.backend]
    except KeyError:
        raise ConfigError(
            f"token.backend: unknown backend {settings.backend!r}; known: {', '.join(BACKENDS)}",
            code="config.token",
        ) from None
    return factory(settings, data_dir).open()
