"""``kiosk staff add|disable|list`` and ``kiosk audit verify|show``.

Production rosters come from the hub; ``staff add`` and ``staff disable`` are for training mode
and tests. PINs are prompted for without echo (or read from ``$KIOSK_STAFF_PIN``), never taken
from the command line's history.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from data.store import Store
from kiosk.errors import KioskError, UsageError
from kiosk.shell.cli import CliContext
from kiosk.staff import audit as audit_log
from kiosk.staff.roster import Role, Roster, StaffPolicy


def open_store(obj: CliContext) -> Store:
    """The kiosk's store for this run (``--data-dir``, ``--training`` honoured)."""
    paths = obj.paths().ensure()
    return Store.open(paths.database)


def open_roster(obj: CliContext, store: Store) -> Roster:
    """The roster with the policy of kiosk.toml."""
    return Roster(store, StaffPolicy.from_settings(obj.settings()))


def _not_typed(ctx: click.Context, value: str) -> str:
    """A PIN given as ``--pin`` would stay in ``ps`` and the shell's history: refused."""
    from click.core import ParameterSource

    if ctx.get_parameter_source("pin") is ParameterSource.COMMANDLINE:
        raise UsageError(
            "a PIN is never given on the command line (ps and the shell's history keep it): "
            "type it at the prompt, or set $KIOSK_STAFF_PIN where no one types",
            code="staff.pin_on_command_line",
        )
    return value


@click.group()
def staff() -> None:
    """Staff roster (training mode and tests; production rosters come from the hub)."""


@staff.command("add")
@click.argument("staff_no")
@click.option("--name", required=True, help="Full name as shown on screen.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--card-uid", default=None, help="Hex UID of the staff card bound to this number.")
@click.option(
    "--pin",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="KIOSK_STAFF_PIN",
    hidden=True,
    callback=lambda ctx, param, value: _not_typed(ctx, value),
    help="Prompted without echo (or $KIOSK_STAFF_PIN).",
)
@click.pass_obj
def add(
    obj: CliContext, staff_no: str, name: str, role: str, card_uid: str | None, pin: str
) -> None:
    """Add STAFF_NO to the roster."""
    with open_store(obj) as store:
        m = open_roster(obj, store).add(staff_no, name, role, pin, card_uid=card_uid)
    click.echo(f"added {m.staff_no} {m.name} ({m.role.value})")
    if not obj.training:
        click.echo(
            "note: production rosters come from the hub (kiosk staff import); "
            "this entry is local to this kiosk",
            err=True,
        )


@staff.command("disable")
@click.argument("staff_no")
@click.option("--reason", default="", help="Why (kept in the audit log).")
@click.pass_obj
def disable(obj: CliContext, staff_no: str, reason: str) -> None:
    """Disable STAFF_NO: no more sign-in or approvals."""
    with open_store(obj) as store:
        m = open_roster(obj, store).disable(staff_no, reason=reason)
    click.echo(f"disabled {m.staff_no} {m.name}")


@staff.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_obj
def import_(obj: CliContext, file: Path) -> None:
    """Cache a roster exported by the hub (JSON list: staff_no, name, role, pin_hash, card_uid).

    Hub entries missing from FILE are disabled; local (training) entries are left alone.
    """
    try:
        entries = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{file}: not a JSON roster: {e}", code="staff.bad_roster") from e
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UsageError(f"{file}: expected a JSON list of staff objects", code="staff.bad_roster")
    missing = [
        i for i, e in enumerate(entries) if not {"staff_no", "name", "role", "pin_hash"} <= set(e)
    ]
    if missing:
        raise UsageError(
            f"{file}: entries {missing} lack staff_no, name, role or pin_hash",
            code="staff.bad_roster",
        )
    with open_store(obj) as store:
        try:
            n = open_roster(obj, store).import_from_hub(entries)
        except ValueError as e:
            raise UsageError(f"{file}: {e}", code="staff.bad_roster") from e
    click.echo(f"roster cached: {n} staff from {file}")


@staff.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.pass_obj
def list_(obj: CliContext, as_json: bool) -> None:
    """List the roster (never PINs)."""
    with open_store(obj) as store:
        members = open_roster(obj, store).members()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "staff_no": m.staff_no,
                        "name": m.name,
                        "role": m.role.value,
                        "card_uid": m.card_uid,
                        "active": m.active,
                        "source": m.source,
                        "locked_until": m.locked_until,
                    }
                    for m in members
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for m in members:
        state = "active" if m.active else "disabled"
        if m.locked_until:
            state += f", locked until {m.locked_until}"
        click.echo(
            f"{m.staff_no:<8} {m.role.value:<10} {m.name}  [{state}] card={m.card_uid or '-'}"
        )


@click.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@click.pass_obj
def verify(obj: CliContext) -> None:
    """Walk the chain; exit 1 naming the first broken row."""
    with open_store(obj) as store:
        res = audit_log.verify(store.db)
    if not res.ok:
        raise KioskError(f"audit chain broken at {res.problem}", code="audit.broken")
    click.echo(f"audit log OK: {res.rows} rows, head {res.head_hash}")


@audit.command("show")
@click.option("--visit", "visit_id", type=int, default=None, help="Only this visit's rows.")
@click.option("--last", type=int, default=20, show_default=True, help="How many rows.")
@click.pass_obj
def show(obj: CliContext, visit_id: int | None, last: int) -> None:
    """Print the last rows of the audit log."""
    with open_store(obj) as store:
        rows = audit_log.entries(store.db, visit_id=visit_id, limit=last)
    for r in rows:
        who = f"{r.staff_no}/{r.role}" if r.staff_no else "kiosk"
        appr = f" approver={r.approver_no}" if r.approver_no else ""
        visit = f" visit={r.visit_id}" if r.visit_id is not None else ""
        reason = f" reason={r.reason_code}" if r.reason_code else ""
        click.echo(f"{r.seq:>6} {r.at} {who} {r.action} {r.outcome}{visit}{reason}{appr}")
