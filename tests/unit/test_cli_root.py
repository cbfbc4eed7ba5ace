"""The root command: every area listed, loaded under its own name, lazily."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from kiosk.shell.cli import AREAS, cli, load_area


@pytest.mark.parametrize("name", sorted(AREAS))
def test_each_area_loads_under_the_name_it_is_listed_by(name: str) -> None:
    command = load_area(name)
    assert isinstance(command, click.Command)
    assert command.name == name


def test_help_lists_every_area() -> None:
    ctx = click.Context(cli)
    assert set(AREAS) <= set(cli.list_commands(ctx))


def test_a_light_command_does_not_import_the_heavy_devices() -> None:
    code = (
        "import sys; from kiosk.shell.cli import main; rc = main(['hours', '--at', "
        "'2026-11-23T10:00']); heavy = [m for m in ('cv2', 'pkcs11', 'smartcard', 'escpos', "
        "'textual') if m in sys.modules]; print(heavy); sys.exit(rc if not heavy else 9)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
