"""What the ``kiosk`` command's global options decided, without the click machinery.

:class:`CliContext` reaches every subcommand as ``ctx.obj`` (``kiosk.shell.cli`` re-exports
it); it lives here, apart from click, so that ``kiosk`` starting the screen does not load the
command line library before the welcome screen is drawn (``kiosk.__main__``), and so that the
app, the console app and the service builder name it without importing the CLI (a circle).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import ConfigError, KioskError, UsageError
from kiosk.runtime import DataPaths

if TYPE_CHECKING:
    from kiosk.config import Settings


@dataclass
class CliContext:
    """What the global options decided; reaches subcommands as ``ctx.obj``."""

    config_path: Path | None = None
    data_dir: Path | None = None
    training: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """The settings, loaded on first use (a bad file is a ConfigError, exit 2)."""
        if self._settings is None:
            from kiosk.config import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings

    def paths(self) -> DataPaths:
        """The data directory layout (``--data-dir`` wins over kiosk.toml)."""
        root = self.data_dir if self.data_dir is not None else self.settings().storage.data_dir
        return DataPaths(root=Path(root), training=self.training)


def run_guarded(job: Callable[[], int]) -> int:
    """Run ``job`` with the command's error policy: exit 2 for a usage or settings error,
    1 for any other refusal, 130 when interrupted; one line on stderr, no traceback."""
    try:
        return job()
    except (ConfigError, UsageError) as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2
    except KioskError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
