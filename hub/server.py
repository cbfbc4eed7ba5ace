"""Run the hub: uvicorn serving :func:`hub.app.create_app` (``kiosk hub serve``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

from hub import DEFAULT_BIND, DEFAULT_DB
from hub.app import create_app
from hub.db import HubDB
from kiosk.contracts.payments import PaymentProvider
from kiosk.errors import ConfigError, KioskError, UsageError

if TYPE_CHECKING:
    # hub.ca may be missing from a build (load_ca says so); only its type is needed here.
    from hub.ca import CertificateAuthority as RealCA


def parse_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port).

    Raises:
        UsageError: not HOST:PORT with a port 0-65535.
    """
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(
            f"--bind {bind!r} must be HOST:PORT, e.g. 127.0.0.1:8800", code="hub.bad_bind"
        )
    return host.strip("[]"), int(port)


def load_ca(ca_dir: str | None, *, create: bool = False) -> RealCA | None:
    """The issuing CA (``hub.ca``, keys issue) kept in ``ca_dir``; None without a directory.

    Args:
        ca_dir: the CA's directory (key, certificate, its own database).
        create: make a training CA there on first start (never for production).

    Raises:
        ConfigError: ``hub.ca`` is missing from this build, or the CA does not load.
    """
    if not ca_dir:
        return None
    try:
        from hub.ca import CertificateAuthority as RealCA
    except ImportError as e:
        raise ConfigError(
            "--ca-dir was given but this build has no issuing CA (hub.ca)", code="hub.no_ca_module"
        ) from e
    try:
        return RealCA.open(Path(ca_dir), create=create)
    except KioskError as e:
        raise ConfigError(
            f"the issuing CA in {ca_dir} does not load: {e}", code="hub.ca_load"
        ) from e


def serve(
    db_url: str = DEFAULT_DB,
    bind: str = DEFAULT_BIND,
    ca: RealCA | None = None,
    provider: PaymentProvider | None = None,
    kmc_dir: str | None = None,
    *,
    create_kmc: bool = False,
) -> None:
    """Serve the hub until interrupted (blocking). ``kmc_dir``: the key management centre's
    directory (its master key); ``create_kmc`` makes the master key there when absent."""
    host, port = parse_bind(bind)
    db = HubDB(db_url)
    kmc = None
    if kmc_dir:
        if ca is None:
            raise ConfigError(
                "--kmc-dir needs --ca-dir (the KMC certifies its keys)", code="hub.kmc_no_ca"
            )
        from hub.kmc import KeyManagementCentre

        try:
            kmc = KeyManagementCentre(Path(kmc_dir), db, ca, create=create_kmc)
        except KioskError as e:
            raise ConfigError(
                f"the KMC in {kmc_dir} does not load: {e}", code="hub.kmc_load"
            ) from e
    app = create_app(db, ca, provider, kmc)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
