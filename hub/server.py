"""Run the hub: uvicorn serving :func:`hub.app.create_app` (``kiosk hub serve``)."""

from __future__ import annotations

import logging

import uvicorn

from hub import DEFAULT_BIND, DEFAULT_DB
from hub.app import create_app
from hub.db import HubDB
from hub.issuing import CertificateAuthority
from kiosk.errors import ConfigError, UsageError


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


def load_ca() -> CertificateAuthority | None:
    """The issuing CA from ``hub.ca`` (keys issue), or None while it is not installed."""
    try:
        from hub import ca as ca_module  # type: ignore[attr-defined]
    except ImportError:
        return None
    loader = getattr(ca_module, "load_default", None)
    if loader is None:
        return None
    try:
        return loader()
    except Exception as e:  # the CA's own errors: report as configuration, not a traceback
        raise ConfigError(f"the issuing CA could not be loaded: {e}", code="hub.ca_load") from e


def serve(
    db_url: str = DEFAULT_DB, bind: str = DEFAULT_BIND, ca: CertificateAuthority | None = None
) -> None:
    """Serve the hub until interrupted (blocking)."""
    host, port = parse_bind(bind)
    db = HubDB(db_url)
    app = create_app(db, ca if ca is not None else load_ca())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
