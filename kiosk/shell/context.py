"""What the ``kiosk`` command's global options decided: the one context every entry point gets.

Its own module, so the app, the console app and the service builder can name it without
importing the CLI (which imports the app lazily to start it: a circle otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config import Settings, load_settings
from kiosk.runtime import DataPaths


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
            self._settings = load_settings(self.config_path)
        return self._settings

    def paths(self) -> DataPaths:
        """The data directory layout (``--data-dir`` wins over kiosk.toml)."""
        root = self.data_dir if self.data_dir is not None else self.settings().storage.data_dir
        return DataPaths(root=Path(root), training=self.training)
