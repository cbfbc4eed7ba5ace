"""``kiosk hours [--at TIME]``: open or closed, and why (weekend, holiday, lunch, make-up day)."""

from __future__ import annotations

import json
from datetime import datetime

import click

from kiosk.domain.clock import assume_local, to_local, utc_now
from kiosk.errors import UsageError
from kiosk.shell.cli import CliContext


@click.command()
@click.option(
    "--at",
    "at_text",
    metavar="ISO-DATETIME",
    help="The moment to ask about (default: now). Without an offset it is the counter's time "
    "zone, e.g. 2026-10-01T10:00.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def hours(obj: CliContext, at_text: str | None, as_json: bool) -> None:
    """Is the counter open? Weekly hours, public holidays and make-up working days (调休)."""
    # Imported here: the holiday tables load on import, and every `kiosk` start imports this.
    from kiosk.domain.hours import calendar_years, counter_status

    counter = obj.settings().counter
    if at_text is None:
        at = utc_now()
    else:
        try:
            parsed = datetime.fromisoformat(at_text)
        except ValueError:
            raise UsageError(
                f"--at {at_text!r} is not an ISO date-time (like 2026-10-01T10:00 or "
                "2026-10-01T10:00+08:00)",
                code="cli.bad_time",
            ) from None
        at = assume_local(parsed, counter.timezone)
    rules = counter.to_hours_rules()
    status = counter_status(at, rules, counter.timezone)
    local = to_local(at, counter.timezone)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "at": local.isoformat(),
                    "open": status.open,
                    "reason": status.reason,
                    "holiday": status.holiday_name_en,
                    "holiday_zh": status.holiday_name,
                    "makeup_workday": status.makeup_workday,
                    "next_open": status.next_open.isoformat() if status.next_open else None,
                    "closes_at": status.closes_at.isoformat() if status.closes_at else None,
                    "calendar_known": status.calendar_known,
                    "en": status.en,
                    "zh": status.zh,
                },
                ensure_ascii=False,
            )
        )
    else:
        word = "OPEN" if status.open else "CLOSED"
        why = status.reason.replace("_", " ")
        if status.makeup_workday:
            if status.reason != "makeup_workday_open":
                why += "; make-up working day"
            why += f" for {status.holiday_name_en} {status.holiday_name}"
        elif status.holiday_name_en:
            why += f": {status.holiday_name_en} {status.holiday_name}"
        click.echo(f"{word} ({why}) at {local:%Y-%m-%d %H:%M} {counter.timezone} ({local:%A})")
        click.echo(f"  {status.en}")
        click.echo(f"  {status.zh}")
    if rules.use_chinese_calendar and not status.calendar_known:
        first, last = calendar_years()
        click.echo(
            f"warning: the holiday calendar (chinesecalendar) only knows {first}-{last}: beyond "
            "that only the fixed-date holidays (1 Jan, 1-2 May, 1-3 Oct) are applied; add the "
            "published holidays and make-up days to extra_closed_days / extra_working_days in "
            "kiosk.toml",
            err=True,
        )
