"""``kiosk hub …``: run the back office and manage it (serve, enrol-kiosk, set-config, stats)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

# The hub's modules (uvicorn, starlette) load inside the commands: a kiosk never pays for them.
from hub import DEFAULT_BIND, DEFAULT_DB, configdocs, kiosks
from hub.configdocs import DOCUMENTS
from hub.db import HubDB
from hub.payments.sandbox import SandboxProvider
from kiosk.errors import KioskError, UsageError

DB_OPTION = click.option(
    "--db",
    "db_url",
    default=DEFAULT_DB,
    show_default=True,
    envvar="KIOSK_HUB_DB",
    help="Hub database URL: sqlite:///PATH or postgresql://USER@HOST/DB.",
)


@click.group("hub")
def hub() -> None:
    """The back office the kiosks sync to (run it, enrol kiosks, publish configuration)."""


@hub.command("serve")
@DB_OPTION
@click.option("--bind", default=DEFAULT_BIND, show_default=True, help="HOST:PORT to listen on.")
@click.option(
    "--ca-dir",
    type=click.Path(file_okay=False),
    envvar="KIOSK_HUB_CA_DIR",
    help="The issuing CA's directory; without it the certificate endpoints answer 503.",
)
@click.option("--training-ca", is_flag=True, help="Create a training CA in --ca-dir if empty.")
@click.option(
    "--kmc-dir",
    type=click.Path(file_okay=False),
    envvar="KIOSK_HUB_KMC_DIR",
    help="The key management centre's directory (its master key, kmc.master): escrows "
    "encryption key pairs for key recovery. Without it the /kmc endpoints answer 503. Made on "
    "first start with --training-ca or --init-kmc.",
)
@click.option("--init-kmc", is_flag=True, help="Make the KMC master key in --kmc-dir if absent.")
@click.option(
    "--payments",
    type=click.Choice(["none", "sandbox"]),
    default="none",
    show_default=True,
    help="Payment provider behind /v1/payments: none (routes absent, bill answers 503) or the "
    "sandbox (training and tests). Real provider adapters plug in behind the same interface.",
)
def serve_cmd(
    db_url: str,
    bind: str,
    ca_dir: str | None,
    training_ca: bool,
    kmc_dir: str | None,
    init_kmc: bool,
    payments: str,
) -> None:
    """Serve the hub's HTTP API until interrupted."""
    # Imported here: the server stack (uvicorn, Starlette, the CA) loads only to serve; `kiosk
    # --help` imports every area module for its one-line help.
    from hub.server import load_ca, parse_bind, serve

    parse_bind(bind)  # a bad --bind is a usage error before anything opens
    provider = None
    if payments == "sandbox":
        provider = SandboxProvider()
    serve(
        db_url,
        bind,
        load_ca(ca_dir, create=training_ca),
        provider,
        kmc_dir,
        create_kmc=training_ca or init_kmc,
    )


@hub.command("enrol-kiosk")
@DB_OPTION
@click.argument("name")
@click.option("--rotate", is_flag=True, help="Replace an enrolled kiosk's credential.")
def enrol_cmd(db_url: str, name: str, rotate: bool) -> None:
    """Create a kiosk's credential and print it once (put it in that kiosk's [hub] section)."""

    credential = kiosks.enrol(HubDB(db_url), name, rotate=rotate)
    click.echo(credential)


@hub.command("set-config")
@DB_OPTION
@click.argument("name", type=click.Choice(DOCUMENTS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def set_config_cmd(db_url: str, name: str, file: Path) -> None:
    """Publish a configuration document (fee_tables, staff_roster, blocklists) from JSON."""
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(f"{file}: not JSON: {e}", code="hub.bad_doc") from e

    configdocs.put(HubDB(db_url), name, body)
    click.echo(f"published {name}")


@hub.command("stats")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_cmd(db_url: str, as_json: bool) -> None:
    """Events stored per kiosk."""
    # Imported here: cryptography loads only for this command (see `serve`).
    from hub.events import counts_by_kiosk

    counts = counts_by_kiosk(HubDB(db_url))
    if as_json:
        click.echo(json.dumps(counts, sort_keys=True))
    else:
        for name, n in sorted(counts.items()):
            click.echo(f"{name}\t{n}")


@hub.command("kmc-audit")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one list of rows).")
def kmc_audit_cmd(db_url: str, as_json: bool) -> None:
    """The key management centre's audit: every escrow, recovery and refusal (when, which kiosk,
    which order, the agent's ID digest, the serials, the refusal's code)."""
    # Imported here: cryptography loads only for this command (see `serve`).
    from hub.kmc import audit_rows

    rows = audit_rows(HubDB(db_url))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        click.echo(
            f"{r['at']}\t{r['kiosk']}\t{r['action']}\t{r['order_no'] or '-'}\t"
            f"sign {r['signing_serial'] or '-'}\tenc {r['encryption_serial'] or '-'}"
            + (f"\t{r['detail']}" if r["detail"] else "")
        )


def standalone(group: click.Group) -> None:
    """Run one area's group as a program, with the root's error rule (until the root lands)."""
    try:
        group.main(standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except KioskError as e:
        click.echo(f"error: {e.message}", err=True)
        sys.exit(2 if isinstance(e, UsageError) else 1)


if __name__ == "__main__":
    standalone(hub)
