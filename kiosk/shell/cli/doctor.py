"""``kiosk doctor``: check every configured device, the hub and the store; say what is wrong.

Exit 0 when every check is ok (warnings included), 1 when any check fails. A kiosk.toml that
does not load is itself reported as the failed ``config`` check (and nothing else can run).
"""

from __future__ import annotations

import json

import click

from kiosk.errors import ConfigError
from kiosk.shell.cli import CliContext
from kiosk.shell.doctor import (
    CheckResult,
    Finding,
    Level,
    build_checks,
    fail,
    now_utc,
    run_checks,
    worst,
)

_WORD = {Level.OK: "ok", Level.WARNING: "warning", Level.FAIL: "FAIL"}


def _print(results: list[CheckResult], header: str) -> None:
    click.echo(header)
    for r in results:
        f = r.finding
        click.echo(f"  {_WORD[f.level]:<8} {r.name:<8} {f.message}")
        if f.next_step:
            click.echo(f"  {'':<8} {'':<8} next: {f.next_step}")
    overall = worst(results)
    counts = {lv: sum(r.level is lv for r in results) for lv in Level}
    click.echo(
        f"{counts[Level.OK]} ok, {counts[Level.WARNING]} warning(s), {counts[Level.FAIL]} failed"
        + (": the kiosk is ready." if overall is not Level.FAIL else ".")
    )


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.5, 120),
    default=None,
    help="Seconds every check may take (default: each check's own, 2-15 s).",
)
@click.pass_obj
def doctor(obj: CliContext, as_json: bool, timeout: float | None) -> None:
    """Check the reader, key module, camera, printer, hub, storage and settings."""
    try:
        settings = obj.settings()
        paths = obj.paths()
    except ConfigError as e:
        results = [CheckResult("config", fail(e.message, "fix kiosk.toml as the message says"), 0)]
        header = "kiosk doctor: the settings do not load, nothing else was checked"
    else:
        results = run_checks(build_checks(settings, paths, timeout_s=timeout))
        header = f"kiosk doctor ({settings.source}, data {paths.base})"
    overall = worst(results)
    if as_json:
        doc = {
            "time": now_utc(),
            "status": overall.value,
            "checks": [r.to_dict() for r in results],
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        _print(results, header)
    raise click.exceptions.Exit(1 if overall is Level.FAIL else 0)


__all__ = ["Finding", "doctor"]
