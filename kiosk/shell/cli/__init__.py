"""The ``kiosk`` command: the screen by default, and every job without the screen.

Global options (every subcommand honours them): ``--config FILE``, ``--data-dir DIR``,
``--training``. Usage errors exit 2 with the valid choices; a failed job exits 1 with one line
saying why; a bad kiosk.toml exits 2 naming the file and key. No traceback reaches a person.
Each area's commands live in their own module here and are listed in ``AREAS``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from kiosk.shell.context import CliContext as CliContext  # re-exported: every area imports it here
from kiosk.shell.context import run_guarded

# Command name -> "module:attribute" of each area's click command or group. Areas load when
# their command is used, so `kiosk hours` does not pay for OpenCV, PKCS#11 or the hub.
AREAS: dict[str, str] = {
    "config": "kiosk.shell.cli.config_cmd:config",
    "fees": "kiosk.shell.cli.fees:fees",
    "check": "kiosk.shell.cli.check:check",
    "hours": "kiosk.shell.cli.hours:hours",
    "staff": "kiosk.shell.cli.staff_cmd:staff",
    "audit": "kiosk.shell.cli.staff_cmd:audit",
    "day": "kiosk.shell.cli.day_cmd:day",
    "token": "kiosk.shell.cli.token:token",
    "idcard": "kiosk.shell.cli.idcard:idcard",
    "print": "kiosk.shell.cli.printer:print_group",
    "receipt": "kiosk.shell.cli.receipt:receipt",
    "pay": "kiosk.shell.cli.pay:pay",
    "sim": "kiosk.shell.cli.sim:sim",
    "seal": "kiosk.shell.cli.seal:seal",
    "camera": "kiosk.shell.cli.camera:camera",
    "sync": "kiosk.shell.cli.sync:sync",
    "hub": "kiosk.shell.cli.hub:hub",
    "visit": "kiosk.shell.cli.visit:visit",
    "doctor": "kiosk.shell.cli.doctor:doctor",
    "supervise": "kiosk.shell.cli.supervise:supervise",
    "serve-web": "kiosk.shell.cli.web:serve_web",
}


pass_cli = click.make_pass_decorator(CliContext)


class LazyGroup(click.Group):
    """The root group: lists every area, imports an area only when its command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(AREAS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in AREAS and cmd_name not in self.commands:
            self.add_command(load_area(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KIOSK_CONFIG",
    help="Settings file (default: ./kiosk.toml, /etc/netca-kiosk/kiosk.toml, then built-in).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="KIOSK_DATA_DIR",
    help="Where the SQLite store, training-mode keys and logs live (overrides kiosk.toml).",
)
@click.option("--training", is_flag=True, help="Training mode: stand-in devices, a local hub.")
@click.version_option(package_name="netca-counter-kiosk", prog_name="kiosk")
@click.pass_context
def cli(
    ctx: click.Context, config_path: Path | None, data_dir: Path | None, training: bool
) -> None:
    """NETCA counter kiosk. Without a subcommand, starts the kiosk screen."""
    ctx.obj = CliContext(config_path=config_path, data_dir=data_dir, training=training)
    if ctx.invoked_subcommand is None:
        from kiosk.shell.app import run_app

        code = run_app(ctx.obj)
        ctx.exit(code)


def load_area(name: str) -> click.Command:
    """Import one area's command (``AREAS[name]``)."""
    module_name, _, attr = AREAS[name].partition(":")
    command: click.Command = getattr(importlib.import_module(module_name), attr)
    return command


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script: maps errors to exit codes without tracebacks."""

    def job() -> int:
        try:
            rv = cli.main(args=argv, prog_name="kiosk", standalone_mode=False)
        except click.exceptions.Exit as e:
            return int(e.exit_code or 0)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            return 1
        except click.ClickException as e:
            e.show()
            return e.exit_code
        return rv if isinstance(rv, int) else 0

    return run_guarded(job)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
