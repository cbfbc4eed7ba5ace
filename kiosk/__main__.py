"""``python -m kiosk`` is the ``kiosk`` command.

``kiosk`` with nothing but global options (``--training``, ``--config FILE``, ``--data-dir DIR``)
starts the screen straight away: the command line library and the areas' commands are not
loaded before the welcome screen is drawn (the start-up figure of ``make bench``). Anything
else — a subcommand, ``--help``, a value click would refuse — goes to the click command
(``kiosk.shell.cli``), which parses and reports exactly as before.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk.shell.context import CliContext, run_guarded

# option -> (CliContext field, its environment variable, the file type the path must not be)
_PATH_OPTIONS: dict[str, tuple[str, str, Callable[[int], bool]]] = {
    "--config": ("config_path", "KIOSK_CONFIG", stat.S_ISDIR),
    "--data-dir": ("data_dir", "KIOSK_DATA_DIR", stat.S_ISREG),
}


def _plain_path(value: str, wrong_type: Callable[[int], bool]) -> bool:
    """Whether click's ``Path`` type would take ``value`` without a word (else it decides)."""
    if not value or value.startswith("-"):
        return False
    try:
        st = os.stat(value)
    except OSError:
        return True  # need not exist
    return not wrong_type(st.st_mode) and os.access(value, os.R_OK)


def screen_options(argv: list[str]) -> CliContext | None:
    """The global options when ``argv`` only starts the screen, else None (click parses it)."""
    given: dict[str, Path | bool] = {}
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--training" and "training" not in given:
            given["training"] = True
            continue
        name, eq, value = arg.partition("=")
        if name not in _PATH_OPTIONS:
            return None
        attr, _env, wrong_type = _PATH_OPTIONS[name]
        if attr in given:
            return None
        if not eq:
            if not args:
                return None
            value = args.pop(0)
        if not _plain_path(value, wrong_type):
            return None
        given[attr] = Path(value)
    for attr, env, wrong_type in _PATH_OPTIONS.values():
        if attr in given or env not in os.environ:
            continue
        value = os.environ[env]
        if not _plain_path(value, wrong_type):
            return None
        given[attr] = Path(value)
    paths = {k: v for k, v in given.items() if isinstance(v, Path)}
    return CliContext(
        config_path=paths.get("config_path"),
        data_dir=paths.get("data_dir"),
        training=given.get("training") is True,
    )


def main(argv: list[str] | None = None) -> int:
    """The ``kiosk`` command: the screen at once for global options only, else click."""
    args = sys.argv[1:] if argv is None else argv
    context = screen_options(args)
    if context is None:
        from kiosk.shell.cli import main as cli_main

        return cli_main(args)
    # Start-up allocates much and frees little: the cyclic collector would walk the whole
    # import graph (pydantic's schemas, Textual) again and again before the first frame
    # (a fifth of the start-up). It is paused until the welcome screen is drawn; KioskApp
    # then moves everything alive to the permanent generation and resumes it.
    gc.disable()
    try:
        from kiosk.shell.app import run_app

        return run_guarded(lambda: run_app(context))
    finally:
        gc.enable()  # the app never drew (a bad kiosk.toml), or main() was called in-process


if __name__ == "__main__":
    sys.exit(main())
