"""``kiosk fees quote``: the itemised price of a service, from the program's fee table."""

from __future__ import annotations

import json

import click

from kiosk.domain.fees import MAX_YEARS, MIN_YEARS, Quote, format_fen, quote
from kiosk.domain.types import Kind, Program, Service
from kiosk.errors import ConfigError, UsageError
from kiosk.shell.cli import CliContext


@click.group()
def fees() -> None:
    """Fees and quotes."""


def _program(obj: CliContext, program_id: str) -> Program:
    settings = obj.settings()
    if program_id not in settings.program_ids():
        raise UsageError(
            f"unknown program {program_id!r}; valid: {', '.join(settings.program_ids())}",
            code="cli.unknown_program",
        )
    try:
        return settings.program(program_id)
    except ConfigError as e:  # pragma: no cover - ids were checked just above
        raise UsageError(e.message, code="cli.unknown_program") from e


def quote_json(q: Quote) -> dict[str, object]:
    """The quote as the JSON the CLI prints (``total_fen`` and ``items``)."""
    return {
        "program": q.program_id,
        "service": q.service.value if q.service else None,
        "kind": q.kind.value if q.kind else None,
        "years": q.years,
        "seal": q.seal,
        "total_fen": q.total_fen,
        "items": [
            {
                "code": i.code,
                "label": i.label_en,
                "label_zh": i.label_zh,
                "quantity": i.quantity,
                "unit_fen": i.unit_fen,
                "amount_fen": i.amount_fen,
            }
            for i in q.items
        ],
    }


def _table(program: Program, q: Quote) -> str:
    head = f"{program.name_en} ({program.id}) | {q.service} | {q.kind}"
    if q.years:
        head += f" | {q.years} year(s)"
    if q.seal:
        head += " | with seal"
    rows = []
    for i in q.items:
        each = f"{i.quantity} x {format_fen(i.unit_fen)}" if i.quantity > 1 else ""
        rows.append((i.label_en, each, format_fen(i.amount_fen)))
    rows.append(("Total", "", format_fen(q.total_fen)))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    lines = [head]
    for n, (label, each, amount) in enumerate(rows):
        if n == len(rows) - 1:
            lines.append("  " + "-" * (w0 + w1 + w2 + 4))
        lines.append(f"  {label:<{w0}}  {each:>{w1}}  {amount:>{w2}}")
    return "\n".join(lines)


@fees.command("quote")
@click.option("--program", "program_id", required=True, help="Program id (see kiosk.toml).")
@click.option(
    "--service", required=True, type=click.Choice([s.value for s in Service]), help="Service."
)
@click.option(
    "--kind", required=True, type=click.Choice([k.value for k in Kind]), help="Certificate kind."
)
@click.option(
    "--years",
    type=click.IntRange(MIN_YEARS, MAX_YEARS),
    help=f"Validity years ({MIN_YEARS}-{MAX_YEARS}); needed for new and renew.",
)
@click.option("--seal", is_flag=True, help="The certificate carries an electronic seal.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (amounts in fen).")
@click.pass_obj
def quote_cmd(
    obj: CliContext,
    program_id: str,
    service: str,
    kind: str,
    years: int | None,
    seal: bool,
    as_json: bool,
) -> None:
    """Price SERVICE on a KIND certificate of PROGRAM, itemised."""
    program = _program(obj, program_id)
    q = quote(program, Service(service), Kind(kind), years=years, seal=seal)
    if as_json:
        click.echo(json.dumps(quote_json(q), ensure_ascii=False))
    else:
        click.echo(_table(program, q))
