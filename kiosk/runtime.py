"""Where a running kiosk keeps things, derived once from settings and the global CLI options."""

from __future__ import annotations

import logging
import logging.handlers
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import StoreError


@dataclass(frozen=True, slots=True)
class DataPaths:
    """The data directory's layout.

    Training mode keeps everything under ``<data_dir>/training`` so practice never mixes with
    the counter's real records.
    """

    root: Path
    training: bool

    @property
    def base(self) -> Path:
        """The folder this run writes in."""
        return self.root / "training" if self.training else self.root

    @property
    def database(self) -> Path:
        """The SQLite store."""
        return self.base / "kiosk.db"

    @property
    def logs(self) -> Path:
        """Log files."""
        return self.base / "logs"

    @property
    def tokens(self) -> Path:
        """SoftHSM2 token directory (training mode)."""
        return self.base / "tokens"

    @property
    def run(self) -> Path:
        """Pid files, sockets and state of running stand-ins."""
        return self.base / "run"

    def ensure(self) -> DataPaths:
        """Create the folders; a clear StoreError when that is impossible."""
        try:
            for p in (self.base, self.logs, self.run):
                p.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create data directory {self.base}: {e}") from e
        return self


def setup_logging(paths: DataPaths, *, level: int = logging.INFO) -> None:
    """Log to ``<base>/logs/kiosk.log`` (rotated), in English, never to the terminal screen."""
    paths.ensure()
    target = (paths.logs / "kiosk.log").resolve()
    root = logging.getLogger()
    root.setLevel(level)
    for h in root.handlers:
        if isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == target:
            return
    handler = logging.handlers.RotatingFileHandler(
        target, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
