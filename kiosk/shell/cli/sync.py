"""``kiosk sync …``: the outbox and the link to the hub without the screen.

``status [--json]`` prints ``{"online", "pending", "quarantined", "last_success"}`` (and more);
``run [--once]`` drains the queue (once, or until interrupted, backing off while offline);
``retry`` puts quarantined events back; ``export`` writes them to a JSON-lines file.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kiosk.errors import SyncError
from kiosk.shell.cli import CliContext

if TYPE_CHECKING:
    import sqlite_utils

    from kiosk.config import HubSettings
    from kiosk.sync.client import HubClient

# The sync machinery (httpx, sqlite-utils) is imported inside the commands, so `kiosk --help`
# and every other area's commands start without paying for it.


def open_kiosk_db(path: Path) -> sqlite_utils.Database:
    from kiosk.sync.localdb import open_kiosk_db as _open

    return _open(path)


DEFAULT_KIOSK_DB = "var/kiosk.db"  # only without the root command (python -m kiosk.shell.cli.sync)


def _db_path(ctx: click.Context, db: str | None) -> Path:
    if db:
        return Path(db)
    obj = ctx.find_root().obj
    if isinstance(obj, CliContext):
        return Path(obj.paths().database)
    return Path(DEFAULT_KIOSK_DB)


def _hub_settings(ctx: click.Context) -> HubSettings | None:
    """kiosk.toml's [hub] section; None without the root command (nothing read)."""
    obj = ctx.find_root().obj
    return obj.settings().hub if isinstance(obj, CliContext) else None


def _hub_or_defaults(ctx: click.Context) -> HubSettings:
    """kiosk.toml's [hub] section, or its defaults without the root command."""
    from kiosk.config import HubSettings

    return _hub_settings(ctx) or HubSettings()


def _client(
    ctx: click.Context, url: str | None, credential: str | None, timeout: float | None
) -> HubClient:
    # kiosk.toml is read only for what the command line and environment left open.
    hs = _hub_settings(ctx) if not (url and credential and timeout) else None
    url = url or getattr(hs, "url", None)
    credential = credential or getattr(hs, "credential", None)
    timeout = timeout or getattr(hs, "timeout_s", None) or 5.0
    if not url:
        raise SyncError(
            "no hub address: pass --hub-url or set [hub] url in kiosk.toml", code="sync.no_hub"
        )
    from kiosk.sync.client import HubClient

    return HubClient(url, credential, timeout=timeout)


DB = click.option("--db", help="The kiosk's SQLite file (default DATA_DIR/kiosk.db).")
HUB_URL = click.option("--hub-url", envvar="KIOSK_HUB_URL", help="The hub's address.")
CREDENTIAL = click.option(
    "--credential",
    envvar="KIOSK_HUB_CREDENTIAL",
    help="NAME:SECRET from `kiosk hub enrol-kiosk` (prefer the env var).",
)
TIMEOUT = click.option("--timeout", type=float, help="Seconds before a hub call gives up.")


@click.group("sync")
def sync() -> None:
    """The offline outbox and its link to the back office (hub)."""


@sync.command("status")
@DB
@HUB_URL
@CREDENTIAL
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--probe/--no-probe",
    default=True,
    help="Ask the hub's health endpoint (1 s) rather than trust the last attempt.",
)
@click.pass_context
def status_cmd(
    ctx: click.Context,
    db: str | None,
    hub_url: str | None,
    credential: str | None,
    as_json: bool,
    probe: bool,
) -> None:
    """Whether the hub answers, how many events wait, how many are quarantined."""
    from kiosk.sync.client import HubUnavailable
    from kiosk.sync.status import read_status

    kdb = open_kiosk_db(_db_path(ctx, db))
    st = read_status(kdb).as_dict()
    if probe:
        try:
            with _client(ctx, hub_url, credential, 1.0) as client:
                client.health()
            st["online"] = True
        except HubUnavailable as e:
            st["online"], st["last_error"] = False, e.message
        except SyncError:
            pass  # no hub configured: keep what the worker last saw
    if as_json:
        click.echo(json.dumps(st, ensure_ascii=False, sort_keys=True))
        return
    online = {True: "online", False: "OFFLINE", None: "unknown"}[st["online"]]
    click.echo(f"hub:          {online}")
    click.echo(f"pending:      {st['pending']}")
    click.echo(f"quarantined:  {st['quarantined']}")
    click.echo(f"keys waiting: {st['keys_waiting']}")
    click.echo(f"last success: {st['last_success'] or 'never'}")
    if st["last_error"]:
        click.echo(f"last error:   {st['last_error']}")


@sync.command("run")
@DB
@HUB_URL
@CREDENTIAL
@TIMEOUT
@click.option("--once", is_flag=True, help="Drain what is queued now and exit.")
@click.option("--batch-size", type=click.IntRange(1, 1000), help="Events a request ([hub]).")
@click.option("--interval", type=float, help="Seconds between polls while the hub answers.")
@click.option("--backoff-base", type=float, help="First backoff ceiling, seconds ([hub]).")
@click.option("--backoff-cap", type=float, help="Largest backoff ceiling, seconds ([hub]).")
@click.pass_context
def run_cmd(
    ctx: click.Context,
    db: str | None,
    hub_url: str | None,
    credential: str | None,
    timeout: float | None,
    once: bool,
    batch_size: int | None,
    interval: float | None,
    backoff_base: float | None,
    backoff_cap: float | None,
) -> None:
    """Send the outbox to the hub (the kiosk's only sync writer: a lock guards it).

    Options left out come from kiosk.toml's [hub] section.
    """
    from kiosk.sync.worker import Backoff, SyncLock, SyncWorker

    hs = _hub_or_defaults(ctx)  # keep_sent_days comes from there in any case
    path = _db_path(ctx, db)
    kdb = open_kiosk_db(path)
    with SyncLock(path), _client(ctx, hub_url, credential, timeout) as client:
        worker = SyncWorker(
            kdb, client, batch_size=batch_size or hs.batch_size, keep_sent_days=hs.keep_sent_days
        )
        if once:
            res = worker.drain_once()
            click.echo(
                f"sent {res.sent} (duplicates {res.duplicates}), quarantined {res.quarantined}, "
                f"certificates {res.certificates}"
            )
            if not res.ok:
                raise SyncError(f"stopped early: {res.error}", code="sync.incomplete")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        backoff = Backoff(
            base=backoff_base or hs.backoff_base_s, cap=backoff_cap or hs.backoff_cap_s
        )
        worker.run(stop, idle_interval=interval or hs.poll_interval_s, backoff=backoff)


@sync.command("retry")
@DB
@click.argument("event_ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Retry every quarantined event.")
@click.pass_context
def retry_cmd(ctx: click.Context, db: str | None, event_ids: tuple[str, ...], all_: bool) -> None:
    """Put quarantined events back in the queue."""
    if not event_ids and not all_:
        raise click.UsageError("name EVENT_IDS or pass --all")
    from data import outbox

    kdb = open_kiosk_db(_db_path(ctx, db))
    n = outbox.retry_quarantined(kdb, None if all_ else event_ids)
    click.echo(f"{n} event(s) back in the queue")


@sync.command("prune")
@DB
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=0),
    help="Days since the hub acknowledged an event (default: [hub] keep_sent_days).",
)
@click.pass_context
def prune_cmd(ctx: click.Context, db: str | None, days: float | None) -> None:
    """Delete events the hub acknowledged long ago; pending and quarantined ones always stay."""
    from data import outbox

    if days is None:
        days = float(_hub_or_defaults(ctx).keep_sent_days)
        if days == 0:
            click.echo("[hub] keep_sent_days = 0: acknowledged events are kept; nothing pruned")
            return
    kdb = open_kiosk_db(_db_path(ctx, db))
    n = outbox.prune_sent(kdb, outbox.cutoff(days))
    left = outbox.counts(kdb)
    click.echo(
        f"pruned {n} acknowledged event(s) older than {days:g} day(s); "
        f"left: {left['pending']} pending, {left['sent']} sent, {left['quarantined']} quarantined"
    )


@sync.command("export")
@DB
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.pass_context
def export_cmd(ctx: click.Context, db: str | None, file: Path) -> None:
    """Write the quarantined events to FILE, one JSON object a line."""
    from data import outbox

    kdb = open_kiosk_db(_db_path(ctx, db))
    rows = outbox.list_events(kdb, "quarantined", limit=1_000_000)
    with file.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    click.echo(f"exported {len(rows)} quarantined event(s) to {file}")


if __name__ == "__main__":
    from kiosk.shell.cli.hub import standalone

    standalone(sync)
