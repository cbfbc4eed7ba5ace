"""``kiosk seal verify FILE``: parse a GB/T 38540 seal object and check signature and picture.

A separate module so that ``kiosk/shell/cli/seal.py`` (check/extract) stays another engineer's; the
lead
attaches :data:`verify` to the ``seal`` group (``seal.add_command(verify)``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import click

from kiosk.errors import SealError


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) > 20_000_000:
        raise SealError(f"{path} is too large for a seal object", code="seal.obj_parse")
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        body = b"".join(line for line in text.splitlines() if not line.startswith(b"-----"))
        return base64.b64decode(body)
    return data


def _load_cas(files: tuple[Path, ...]) -> list[bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    out = []
    for f in files:
        raw = f.read_bytes()
        try:
            cert = (
                x509.load_pem_x509_certificate(raw)
                if raw.lstrip().startswith(b"-----")
                else x509.load_der_x509_certificate(raw)
            )
        except ValueError as e:
            raise SealError(f"{f} is not a certificate: {e}", code="seal.bad_ca") from e
        out.append(cert.public_bytes(serialization.Encoding.DER))
    return out


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--ca",
    "cas",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trusted CA certificate (PEM or DER); repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def verify(file: Path, cas: tuple[Path, ...], as_json: bool) -> None:
    """Parse the SESeal in FILE (DER or PEM) and check its signature, picture and validity.

    Exits 1 when any check fails.
    """
    # Imported here: asn1crypto and cryptography load only to verify.
    from kiosk.contracts.sealobj import verify_seal

    check = verify_seal(_read(file), trusted_cas=_load_cas(cas) if cas else None)
    if as_json:
        click.echo(
            json.dumps(
                {
                    **check.seal.summary(),
                    "ok": check.ok,
                    "checks": {k: {"ok": ok, "detail": d} for k, (ok, d) in check.checks.items()},
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        s = check.seal
        click.echo(f'{file}: SESeal v{s.version} {s.es_id} "{s.name}"')
        for name, (ok, detail) in check.checks.items():
            click.echo(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not check.ok:
        failed = [k for k, (ok, _) in check.checks.items() if not ok]
        raise SealError(
            f"seal object {file} is not valid: {', '.join(failed)} failed", code="seal.obj_invalid"
        )
