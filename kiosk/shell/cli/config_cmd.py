"""``kiosk config check [FILE]``: validate a settings file without starting anything."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.config import load_settings
from kiosk.shell.cli import CliContext


@click.group()
def config() -> None:
    """Settings (kiosk.toml)."""


@config.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def check(obj: CliContext, file: Path | None) -> None:
    """Validate FILE (default: the file the kiosk would use) and summarise it."""
    settings = load_settings(file if file is not None else obj.config_path)
    click.echo(f"{settings.source}: OK")
    click.echo(f"  counter  {settings.counter.id} {settings.counter.name_en}")
    click.echo(f"  programs {', '.join(settings.program_ids())}")
    d = settings.devices
    click.echo(
        f"  devices  reader={d.reader.backend} token={d.token.backend} "
        f"camera={d.camera.backend} printer={d.printer.backend}"
    )
    click.echo(f"  hub      {settings.hub.url}")
    click.echo(f"  data     {settings.storage.data_dir}")
