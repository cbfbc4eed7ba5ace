"""``kiosk token list`` and ``kiosk token inspect SERIAL``: the keys in the reader."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from kiosk.errors import KioskError, TokenError, UsageError
from kiosk.shell.cli import CliContext

if TYPE_CHECKING:
    from hardware.token.adapter import KeyInfo, Pkcs11Tokens, TokenObject
    from kiosk.keys.repository import KeyRepository


def _open(obj: CliContext) -> tuple[Pkcs11Tokens, KeyRepository]:
    from data.store import Store
    from kiosk.keys.repository import KeyRepository
    from kiosk.keys.wiring import reader_for

    paths = obj.paths().ensure()
    tokens = reader_for(obj.settings(), paths.base, training=obj.training)
    store = Store.open(paths.database)
    return tokens, KeyRepository(store.db)


def _cert_summary(der: bytes | None) -> dict[str, str]:
    if not der:
        return {"subject": "", "not_after": ""}
    c = x509.load_der_x509_certificate(der)
    return {
        "subject": c.subject.rfc4514_string(),
        "not_after": c.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "serial": f"{c.serial_number:x}",
    }


def _describe(tokens: Pkcs11Tokens, repo: KeyRepository, key: KeyInfo) -> dict[str, Any]:
    from kiosk.keys.service import SEAL_LABEL

    row = key.to_dict()
    rec = repo.get(key.serial) if key.serial else None
    row["state"] = rec.state.value if rec else ("blank" if key.blank else "unknown")
    cert = seal = None
    objects: list[TokenObject] = []
    if key.initialised:
        with tokens.session(key.serial) as s:
            objects = s.objects()
        for o in objects:
            if o.kind == "certificate" and o.value and cert is None:
                cert = o.value
            if o.kind == "data" and o.label == SEAL_LABEL:
                seal = o.value
    row["certificate"] = _cert_summary(cert)
    row["_objects"], row["_cert"], row["_seal"] = objects, cert, seal
    return row


@click.group()
def token() -> None:
    """USB keys (PKCS#11 tokens) in the reader."""


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@click.pass_obj
def list_keys(obj: CliContext, as_json: bool) -> None:
    """Every key in the reader: slot, serial, label, state, PIN flags, certificate."""
    tokens, repo = _open(obj)
    try:
        rows = [_describe(tokens, repo, k) for k in tokens.keys()]  # noqa: SIM118 (not a dict)
    finally:
        tokens.close()
    for r in rows:
        for k in ("_objects", "_cert", "_seal"):
            r.pop(k)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No key in the reader.")
        return
    click.echo(f"{'slot':>10}  {'serial':16}  {'label':20}  {'state':10}  {'PIN':12}  certificate")
    for r in rows:
        c = r["certificate"]
        cert = f"{c['subject']} (until {c['not_after']})" if c["subject"] else "-"
        click.echo(
            f"{r['slot']:>10}  {r['serial'] or '-':16}  {r['label'] or '-':20}  "
            f"{r['state']:10}  {r['user_pin'] if r['initialised'] else '-':12}  {cert}"
        )


@token.command("inspect")
@click.argument("serial")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@click.pass_obj
def inspect(obj: CliContext, serial: str, as_json: bool) -> None:
    """One key: its objects, its certificate in PEM, and a summary of its seal."""
    from kiosk.contracts.sealobj import verify_seal

    tokens, repo = _open(obj)
    try:
        key = tokens.key(serial)
        row = _describe(tokens, repo, key)
    finally:
        tokens.close()
    objects, cert, seal = row.pop("_objects"), row.pop("_cert"), row.pop("_seal")
    row["objects"] = [
        {"kind": o.kind, "label": o.label, "id": o.key_id.hex(), "application": o.application}
        for o in objects
    ]
    row["certificate_pem"] = (
        x509.load_der_x509_certificate(cert).public_bytes(serialization.Encoding.PEM).decode()
        if cert
        else ""
    )
    if seal:
        try:
            check = verify_seal(seal)
            row["seal"] = {
                **check.seal.summary(),
                "ok": check.ok,
                "checks": {k: {"ok": ok, "detail": d} for k, (ok, d) in check.checks.items()},
            }
        except KioskError as e:
            row["seal"] = {"error": e.message}
    else:
        row["seal"] = None
    rec = repo.get(serial)
    if rec is not None:
        row["counters"] = {
            "issuances": rec.issuances,
            "renewals": rec.renewals,
            "pin_resets": rec.pin_resets,
        }
    if as_json:
        click.echo(json.dumps(row, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"key {row['serial']}  label {row['label'] or '-'}  state {row['state']}  "
        f"slot {row['slot']}"
    )
    click.echo(f"  model     {row['manufacturer']} {row['model']}")
    click.echo(f"  user PIN  {row['user_pin']}    SO PIN {row['so_pin']}")
    if "counters" in row:
        c = row["counters"]
        click.echo(
            f"  counters  issuances {c['issuances']}, renewals {c['renewals']}, "
            f"PIN resets {c['pin_resets']}"
        )
    click.echo("  objects:")
    for o in row["objects"] or [{"kind": "(none)", "label": "", "id": "", "application": ""}]:
        click.echo(f"    {o['kind']:12} {o['label']!s:30} id={o['id'] or '-'} {o['application']}")
    if row["seal"]:
        s = row["seal"]
        if "error" in s:
            click.echo(f"  seal: unreadable: {s['error']}")
        else:
            click.echo(
                f"  seal: {s['name']} ({s['es_id']}), {s['picture']}, "
                f"{s['valid_start'][:10]} to {s['valid_end'][:10]}, "
                f"{'valid' if s['ok'] else 'NOT valid'}"
            )
    if row["certificate_pem"]:
        click.echo(row["certificate_pem"].rstrip())
    elif key.blank:
        raise TokenError("That key is blank", code="token.blank")


@token.group("sim")
def sim() -> None:
    """Training mode: play the key reader (SoftHSM2 stand-in): insert and pull keys."""


def _standin(obj: CliContext) -> Any:
    from hardware.sim.softhsm import SoftHsm2

    if not obj.training:
        raise UsageError("kiosk token sim works only with --training (the SoftHSM2 stand-in)")
    tok = obj.settings().devices.token
    paths = obj.paths().ensure()
    return SoftHsm2(paths.base / "tokens", blank_slots=tok.training_blank_slots).prepare()


@sim.command("status")
@click.pass_obj
def sim_status(obj: CliContext) -> None:
    """Keys in the reader, keys pulled out, blank keys left in stock."""
    s = _standin(obj)
    click.echo(
        f"in reader: {', '.join(s.inserted()) or '-'}"
        f"{' + a blank key' if s.blank_present() else ''}"
    )
    click.echo(f"pulled:    {', '.join(s.pulled()) or '-'}")
    click.echo(f"blank keys in stock: {s.blanks_left()}")


@sim.command("insert-blank")
@click.pass_obj
def sim_insert_blank(obj: CliContext) -> None:
    """Put a blank key from stock into the reader."""
    _standin(obj).insert_blank()


@sim.command("pull-blank")
@click.pass_obj
def sim_pull_blank(obj: CliContext) -> None:
    """Take the blank key out of the reader."""
    _standin(obj).pull_blank()


@sim.command("pull")
@click.argument("serial")
@click.pass_obj
def sim_pull(obj: CliContext, serial: str) -> None:
    """Pull key SERIAL out of the reader."""
    _standin(obj).pull(serial)


@sim.command("insert")
@click.argument("serial")
@click.pass_obj
def sim_insert(obj: CliContext, serial: str) -> None:
    """Put the pulled key SERIAL back into the reader."""
    _standin(obj).insert(serial)
