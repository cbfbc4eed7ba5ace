"""``kiosk check id|uscc|mobile``: check an identifier and print what it says."""

from __future__ import annotations

import json

import click

from kiosk.domain.clock import local_today, utc_now
from kiosk.domain.identifiers import parse_mobile, parse_resident_id, parse_uscc
from kiosk.shell.cli import CliContext

# The domain modules are imported inside each command: every `kiosk` start imports this module,
# and python-stdnum's tables are only needed when a number is checked.


@click.group()
def check() -> None:
    """Check identifiers (exit 0 valid, 1 not valid)."""


def _emit(facts: dict[str, object], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(facts, ensure_ascii=False))
        return
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        click.echo(f"{key:<{width}}  {value}")


@check.command("id")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def check_id(obj: CliContext, number: str, as_json: bool) -> None:
    """Check a resident ID NUMBER (GB 11643): check character, birth date, sex."""

    tz = obj.settings().counter.timezone
    rid = parse_resident_id(number, today=local_today(utc_now(), tz))
    _emit(
        {
            "valid": True,
            "number": rid.number,
            "area_code": rid.area_code,
            "area": rid.area_name or "(not in the table; not checked)",
            "birth_date": rid.birth_date.isoformat(),
            "sex": rid.sex,
            "age": rid.age_on(local_today(utc_now(), tz)),
        },
        as_json,
    )


@check.command("uscc")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def check_uscc(code: str, as_json: bool) -> None:
    """Check a unified social credit CODE (GB 32100): alphabet and mod-31 check character."""

    u = parse_uscc(code)
    _emit(
        {
            "valid": True,
            "code": u.code,
            "registration_dept": f"{u.registration_dept} ({u.registration_dept_en})",
            "org_type": f"{u.org_type} ({u.org_type_en})",
            "area_code": u.area_code,
            "org_code": u.org_code,
        },
        as_json,
    )


@check.command("mobile")
@click.argument("number")
def check_mobile(number: str) -> None:
    """Check a mobile NUMBER (11 digits starting with 1)."""

    click.echo(parse_mobile(number))
