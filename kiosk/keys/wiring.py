"""The key reader and the PIN vault from settings (the shell's builder, ``kiosk token …``).

The key service itself is built by ``kiosk.shell.builder.build_key_service`` (over the hub, or
the offline queue): this area does not choose a certificate issuer.
"""

from __future__ import annotations

from pathlib import Path

from hardware.token import Pkcs11Tokens, open_tokens
from kiosk.config import Settings
from kiosk.keys.vault import PinVault


def reader_for(settings: Settings, base: Path, *, training: bool) -> Pkcs11Tokens:
    """The key reader: the configured module, or the SoftHSM2 stand-in in training mode.

    Args:
        settings: kiosk settings (its ``devices.token`` section is read).
        base: the run's data folder (``DataPaths.base``).
        training: use the stand-in under ``<base>/tokens``.

    Raises:
        TokenError: ``token.module_load`` when the module does not load.
    """
    tok = settings.devices.token
    if training:
        return open_tokens(
            tok.module_path, standin_dir=base / "tokens", blank_slots=tok.training_blank_slots
        )
    return open_tokens(tok.module_path)


def vault_for(base: Path) -> PinVault:
    """The SO PIN vault keyed by ``<base>/secrets/keys.secret``."""
    return PinVault(base / "secrets" / "keys.secret")
