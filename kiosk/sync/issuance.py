"""Offline issuance and pickup (领取): certificate requests that wait for the hub.

When a new certificate is needed and the hub cannot be reached, the visit flow makes the key
pair on the key, builds the CSR, and calls :func:`queue_request`; the key stays at the counter
under its order number. The sync worker calls :func:`complete_waiting` after each drain: each
waiting request is sent to ``POST /v1/certificates`` (idempotent per request id, so a lost answer
is simply asked again) and its certificate stored; the request is then ``ready`` and the staff
screen says to insert the key. The keys engineer's code writes the certificate to the key and
calls :func:`mark_installed`; the pickup service checks the agent's ID card with
:func:`hand_over`, which refuses anyone but the visit's agent.

States: ``waiting`` -> ``ready`` -> ``installed`` -> ``handed_over``; or ``failed`` (the hub
refused the request: a person must look at it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from data import outbox
from kiosk.errors import UsageError, VisitError
from kiosk.sync.client import HubClient, HubRefused

WAITING_STATES = ("waiting", "ready", "installed")


def _conn(db: outbox.Db) -> sqlite3.Connection:
    return outbox.connection(db)


def agent_digest(id_number: str) -> str:
    """A digest of the agent's ID number, kept so the pickup can be checked without storing it
    a second time in clear."""
    return hashlib.sha256(b"netca-pickup\x00" + id_number.strip().upper().encode()).hexdigest()


def queue_request(
    db: outbox.Db,
    *,
    order_no: str,
    csr_der: bytes,
    profile: str,
    subject: dict[str, str],
    validity: dict[str, Any],
    agent_id_number: str,
    visit_id: str | None = None,
    token_serial: str | None = None,
    request_id: str | None = None,
    now: str | None = None,
) -> str:
    """Queue a certificate request for the hub, with its outbox event, in one transaction.

    Args:
        db: the kiosk database.
        order_no: the visit's order number (the key is kept under it).
        csr_der: the CSR made on the key.
        profile: the CA profile (``organisation``, ``person``, ...).
        subject: subject attributes, e.g. ``{"CN": "...", "O": "...", "C": "CN"}``.
        validity: ``{"years": N}`` (counted from issuance) or ``{"not_before", "not_after"}``.
        agent_id_number: the agent's ID number; only the agent holding this card may pick up.
        visit_id: the visit, for the outbox event.
        token_serial: the key's serial, so staff find the right key.
        request_id: reuse an id (a step run twice queues once); default a new UUID.
        now: UTC time override (tests).

    Returns:
        The request id.

    Raises:
        UsageError: the CSR is not DER.
    """
    try:
        x509.load_der_x509_csr(csr_der)
    except ValueError as e:
        raise UsageError(
            f"certificate request for {order_no} is not a DER CSR: {e}", code="issuance.bad_csr"
        ) from e
    request_id = request_id or str(uuid.uuid4())
    stamp = now or outbox.utc_now()
    conn = _conn(db)
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        inserted = conn.execute(
            "INSERT INTO cert_requests (request_id, order_no, visit_id, token_serial, profile, "
            "subject, validity, csr_der, agent_id_digest, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
            (
                request_id,
                order_no,
                visit_id,
                token_serial,
                profile,
                json.dumps(subject, ensure_ascii=False, sort_keys=True),
                json.dumps(validity),
                csr_der,
                agent_digest(agent_id_number),
                stamp,
                stamp,
            ),
        ).rowcount
        if inserted:
            outbox.enqueue(
                db,
                kind="certificate.requested",
                visit_id=visit_id,
                created_at=stamp,
                payload={
                    "request_id": request_id,
                    "order_no": order_no,
                    "profile": profile,
                    "token_serial": token_serial,
                    "offline": True,
                },
            )
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")
    return request_id


def complete_waiting(
    db: outbox.Db, client: HubClient, *, clock: Callable[[], str] = outbox.utc_now
) -> int:
    """Ask the hub for every waiting request's certificate; return how many arrived.

    Raises:
        HubUnavailable: the hub stopped answering (the rest stay waiting).
    """
    conn = _conn(db)
    rows = conn.execute(
        "SELECT request_id, order_no, visit_id, profile, subject, validity, csr_der "
        "FROM cert_requests WHERE state = 'waiting' ORDER BY created_at"
    ).fetchall()
    done = 0
    for request_id, order_no, visit_id, profile, subject, validity, csr_der in rows:
        try:
            answer = client.request_certificate(
                request_id, bytes(csr_der), profile, json.loads(subject), json.loads(validity)
            )
        except HubRefused as e:
            conn.execute(
                "UPDATE cert_requests SET state = 'failed', last_error = ?, "
                "attempts = attempts + 1, updated_at = ? "
                "WHERE request_id = ? AND state = 'waiting'",
                (f"{e.code}: {e.message}", clock(), request_id),
            )
            continue
        cert = x509.load_pem_x509_certificate(answer["certificate_pem"].encode())
        der = cert.public_bytes(serialization.Encoding.DER)
        stamp = clock()
        conn.execute("BEGIN IMMEDIATE")
        try:
            changed = conn.execute(
                "UPDATE cert_requests SET state = 'ready', cert_der = ?, serial = ?, "
                "not_after = ?, updated_at = ? WHERE request_id = ? AND state = 'waiting'",
                (der, answer["serial"], answer["not_after"], stamp, request_id),
            ).rowcount
            if changed:
                outbox.enqueue(
                    db,
                    kind="certificate.issued",
                    visit_id=visit_id,
                    created_at=stamp,
                    payload={
                        "request_id": request_id,
                        "order_no": order_no,
                        "serial": answer["serial"],
                        "not_after": answer["not_after"],
                    },
                )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        done += changed
    return done


def keys_waiting(db: outbox.Db) -> list[dict[str, Any]]:
    """Keys kept at the counter: waiting for a certificate, ready to be written, or written and
    waiting for pickup; oldest first. Each row has ``request_id, order_no, token_serial, state,
    serial, created_at, updated_at, last_error`` and ``action``: what staff should do now."""
    cur = _conn(db).execute(
        "SELECT request_id, order_no, token_serial, state, serial, created_at, updated_at, "
        "last_error FROM cert_requests WHERE state IN ('waiting', 'ready', 'installed', 'failed') "
        "ORDER BY created_at"
    )
    cols = [c[0] for c in cur.description]
    actions = {
        "waiting": "keep the key; the certificate is requested when the back office answers",
        "ready": "insert the key: its certificate has arrived",
        "installed": "ready for pickup against the agent's ID card",
        "failed": "the back office refused the request; check it with a supervisor",
    }
    rows = [dict(zip(cols, r, strict=True)) for r in cur]
    for row in rows:
        row["action"] = actions[row["state"]]
    return rows


def certificate_for(db: outbox.Db, request_id: str) -> bytes:
    """The DER certificate of a ``ready`` request, to write onto the key.

    Raises:
        VisitError: unknown request, or its certificate has not arrived.
    """
    row = (
        _conn(db)
        .execute("SELECT state, cert_der FROM cert_requests WHERE request_id = ?", (request_id,))
        .fetchone()
    )
    if row is None or row[1] is None:
        raise VisitError(
            f"no certificate has arrived for request {request_id} yet", code="issuance.not_ready"
        )
    return bytes(row[1])


def mark_installed(db: outbox.Db, request_id: str) -> None:
    """Record that the certificate was written onto the key (with its outbox event).

    Raises:
        VisitError: the request is not ``ready``.
    """
    _transition(db, request_id, "ready", "installed", "certificate.installed", {})


def hand_over(db: outbox.Db, request_id: str, id_number: str) -> None:
    """The pickup (领取): hand the key to the agent whose ID card was just read.

    Args:
        db: the kiosk database.
        request_id: the waiting key's request.
        id_number: the ID number read from the card presented now.

    Raises:
        VisitError: ``pickup.wrong_agent`` when the card is not the visit's agent's (nothing
            changes); ``pickup.not_ready`` when the certificate is not on the key yet.
    """
    row = (
        _conn(db)
        .execute(
            "SELECT state, agent_id_digest FROM cert_requests WHERE request_id = ?", (request_id,)
        )
        .fetchone()
    )
    if row is None:
        raise VisitError(f"no key is waiting under request {request_id}", code="pickup.unknown")
    if not hmac.compare_digest(row[1] or "", agent_digest(id_number)):
        raise VisitError(
            "this ID card is not the agent's who applied; the key can only be handed to them",
            code="pickup.wrong_agent",
        )
    _transition(
        db,
        request_id,
        "installed",
        "handed_over",
        "key.handed_over",
        {},
        not_ready_code="pickup.not_ready",
    )


def _transition(
    db: outbox.Db,
    request_id: str,
    from_state: str,
    to_state: str,
    kind: str,
    extra: dict[str, Any],
    not_ready_code: str = "issuance.wrong_state",
) -> None:
    conn = _conn(db)
    stamp = outbox.utc_now()
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT order_no, visit_id, state FROM cert_requests WHERE request_id = ?",
            (request_id,),
        ).fetchone()
        if row is None or row[2] != from_state:
            raise VisitError(
                f"request {request_id} is {row[2] if row else 'unknown'}, not {from_state}",
                code=not_ready_code,
            )
        conn.execute(
            "UPDATE cert_requests SET state = ?, updated_at = ? WHERE request_id = ?",
            (to_state, stamp, request_id),
        )
        outbox.enqueue(
            db,
            kind=kind,
            visit_id=row[1],
            created_at=stamp,
            payload={"request_id": request_id, "order_no": row[0], **extra},
        )
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")
