"""Kiosk credentials: each kiosk has its own, created by ``kiosk hub enrol-kiosk NAME``.

A credential is ``NAME:SECRET`` with 256 random bits of secret, shown once at enrolment. The hub
keeps only SHA-256 of the secret: a slow KDF protects guessable secrets such as PINs, while a
256-bit random secret cannot be guessed, and hashing it fast keeps every request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from hub.db import HubDB
from kiosk.domain.clock import utc_now
from kiosk.errors import UsageError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def enrol(db: HubDB, name: str, *, rotate: bool = False) -> str:
    """Create (or with ``rotate``, replace) a kiosk's credential and return it, once.

    Raises:
        UsageError: the name is malformed, or already enrolled and ``rotate`` is not set.
    """
    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"kiosk name {name!r} must be 1-64 letters, digits, '-' or '_'", code="hub.bad_name"
        )
    secret = secrets.token_urlsafe(32)
    now = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    with db.transaction() as tx:
        if rotate:
            changed = tx.execute(
                "UPDATE kiosks SET secret_hash = ?, disabled_at = NULL WHERE name = ?",
                (_hash(secret), name),
            )
            if changed:
                return f"{name}:{secret}"
        inserted = tx.execute(
            "INSERT INTO kiosks (name, secret_hash, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (name, _hash(secret), now),
        )
    if not inserted:
        raise UsageError(
            f"kiosk {name} is already enrolled; use --rotate to issue a new credential",
            code="hub.already_enrolled",
        )
    return f"{name}:{secret}"


def authenticate(db: HubDB, header: str | None) -> str | None:
    """The kiosk name for an ``Authorization: Bearer NAME:SECRET`` header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    name, sep, secret = header[7:].strip().partition(":")
    if not sep or not NAME_PATTERN.match(name) or not secret:
        return None
    with db.transaction() as tx:
        row = tx.one("SELECT secret_hash, disabled_at FROM kiosks WHERE name = ?", (name,))
    if row is None or row[1] is not None:
        # Spend the same time as a real comparison so names cannot be probed by timing.
        hmac.compare_digest(_hash(secret), "0" * 64)
        return None
    return name if hmac.compare_digest(_hash(secret), row[0]) else None
