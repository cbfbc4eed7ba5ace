"""USB keys (PKCS#11 tokens): the reader adapter, its settings and the backend factory.

Public API:
    :func:`open_tokens` - the reader: the vendor's module, or the SoftHSM2 stand-in (training).
    :class:`Pkcs11Tokens` - list keys, initialise one, open a session on one, watch the reader.
    :class:`KeySession` - key pair, sign, certificate and data objects, PINs on one key.
    :class:`KeyInfo`, :class:`PinState`, :class:`TokenObject`, :class:`KeyAlgorithm`.
    :class:`SlotWatcher` - the polling thread (``Pkcs11Tokens.watch``).
"""

from __future__ import annotations

from pathlib import Path

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

__all__ = [
    "KeyAlgorithm",
    "KeyInfo",
    "KeySession",
    "PinState",
    "Pkcs11Tokens",
    "SlotWatcher",
    "TokenObject",
    "open_tokens",
    "wrong_pin_error",
]


def open_tokens(
    module_path: str,
    *,
    standin_dir: Path | None = None,
    blank_slots: int = 4,
) -> Pkcs11Tokens:
    """Build and open the key reader.

    Args:
        module_path: the PKCS#11 module (kiosk.toml ``devices.token.module_path``).
        standin_dir: training mode and tests: run the SoftHSM2 stand-in with its token
            directory here (``DataPaths.tokens``); the module is then SoftHSM2's.
        blank_slots: the stand-in's stock of blank keys.

    Raises:
        TokenError: ``token.module_load`` when the module does not load.
    """
    if standin_dir is None:
        return Pkcs11Tokens(module_path).open()
    # Imported here: the SoftHSM2 stand-in is for training and tests; a counter never loads it.
    from hardware.sim.softhsm import DEFAULT_MODULE, SoftHsm2

    module = module_path if "softhsm" in Path(module_path).name else DEFAULT_MODULE
    sim = SoftHsm2(Path(standin_dir), blank_slots=blank_slots, module_path=module).prepare()
    tokens = Pkcs11Tokens(
        module, slot_filter=sim.visible, rescan_on_poll=True, reader_state=sim.reader_state
    )
    tokens.standin = sim
    return tokens.open()
