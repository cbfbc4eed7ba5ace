"""Build the key reader and the key service from settings (CLI, the app, training mode)."""

from __future__ import annotations

from pathlib import Path

from data.store import Store
from hardware.token import KeyAlgorithm, Pkcs11Tokens, open_tokens
from kiosk.keys.issuer import CertificateIssuer
from kiosk.keys.repository import KeyRepository
from kiosk.keys.service import KeyService
from kiosk.keys.vault import PinVault


def reader_for(settings: object, base: Path, *, training: bool) -> Pkcs11Tokens:
    """The key reader: the configured module, or the SoftHSM2 stand-in in training mode.

    Args:
        settings: ``Settings`` (its ``devices.token`` section is read).
        base: the run's data folder (``DataPaths.base``).
        training: use the stand-in under ``<base>/tokens``.
    """
    tok = settings.devices.token  # type: ignore[attr-defined]
    if training:
        return open_tokens(
            tok.module_path, standin_dir=base / "tokens", blank_slots=tok.training_blank_slots
        )
    return open_tokens(tok.module_path)


def vault_for(base: Path) -> PinVault:
    """The SO PIN vault keyed by ``<base>/secrets/keys.secret``."""
    return PinVault(base / "secrets" / "keys.secret")


def training_issuer(base: Path) -> CertificateIssuer:
    """The in-process training CA under ``<base>/ca`` (made on first use)."""
    from hub.ca import CertificateAuthority, InProcessIssuer

    return InProcessIssuer(CertificateAuthority.open(base / "ca"))


def key_service(
    settings: object,
    base: Path,
    store: Store,
    *,
    training: bool,
    issuer: CertificateIssuer | None = None,
) -> KeyService:
    """A ready key service (the training CA in-process unless an issuer is given)."""
    tok = settings.devices.token  # type: ignore[attr-defined]
    return KeyService(
        reader_for(settings, base, training=training),
        KeyRepository(store.db),
        vault_for(base),
        issuer or training_issuer(base),
        algorithm=KeyAlgorithm(tok.key_algorithm),
    )


def standalone(
    base: Path,
    *,
    algorithm: KeyAlgorithm = KeyAlgorithm.RSA2048,
    blank_slots: int = 4,
) -> tuple[Pkcs11Tokens, Store, KeyService]:
    """A self-contained key side in ``base``: the SoftHSM2 stand-in, a store, the training CA
    in-process (tests, the benchmark, demos). Close the reader and the store when done."""
    base.mkdir(parents=True, exist_ok=True)
    tokens = open_tokens(
        "/usr/lib/softhsm/libsofthsm2.so", standin_dir=base / "tokens", blank_slots=blank_slots
    )
    store = Store.open(base / "kiosk.db")
    service = KeyService(
        tokens,
        KeyRepository(store.db),
        vault_for(base),
        training_issuer(base),
        algorithm=algorithm,
    )
    return tokens, store, service
