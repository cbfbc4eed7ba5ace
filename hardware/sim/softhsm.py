"""SoftHSM2 as the stand-in for the counter's USB keys (tests, CI and training mode).

SoftHSM2 keeps each token in a directory under ``directories.tokendir``. The stand-in owns such a
directory under the kiosk's data directory and plays the part of the key reader:

* a *blank key* is SoftHSM's uninitialised slot (``CKF_TOKEN_INITIALIZED`` unset). SoftHSM always
  shows exactly one; the stand-in keeps a stock of ``blank_slots`` blank keys and hides the blank
  slot once the stock is used up (every initialised token is a blank key taken from stock), or
  while the blank key is "pulled" (:meth:`SoftHsm2.pull_blank`);
* *pulling* an issued key moves its token directory into a drawer beside the token directory
  (SoftHSM then fails every call on it, as a real module does when the key leaves the port) and
  *inserting* moves it back. A module reads the token directory when it initialises, so the adapter
  re-scans (``C_Finalize`` + ``C_Initialize``) when it polls; see
  :attr:`hardware.token.Pkcs11Tokens.rescan_on_poll`.

State lives in files under the stand-in's directory, so the CLI, the kiosk and tests in other
processes all see the same keys. A process loads the SoftHSM module once and it reads
``SOFTHSM2_CONF`` at each (re-)initialisation: use one stand-in per process at a time.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import ConfigError, TokenError

#: Where Debian's ``softhsm2`` package puts the module.
DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"

_STATE = "standin.json"


@dataclass(frozen=True)
class SoftHsmPaths:
    """The files of one stand-in: its config, token directory and the drawer of pulled keys."""

    root: Path
    conf: Path
    tokendir: Path
    drawer: Path


class SoftHsm2:
    """A SoftHSM2 token directory under the kiosk's data directory, used as the key reader.

    Args:
        root: the stand-in's own directory (``<data dir>/softhsm``); created when missing.
        blank_slots: how many blank keys the stock holds (each initialised token uses one).
        module_path: the SoftHSM2 PKCS#11 module.
    """

    def __init__(self, root: Path, *, blank_slots: int = 4, module_path: str = DEFAULT_MODULE):
        if blank_slots < 0:
            raise ConfigError("token.blank_slots must be 0 or more", code="config.token")
        self.module_path = module_path
        root = Path(root)
        self.paths = SoftHsmPaths(
            root=root,
            conf=root / "softhsm2.conf",
            tokendir=root / "tokens",
            drawer=root / "drawer",
        )
        self.blank_slots = blank_slots

    # -- set-up ------------------------------------------------------------------------------

    def prepare(self) -> SoftHsm2:
        """Create the directories and the config, and point ``SOFTHSM2_CONF`` at it.

        SoftHSM reads ``SOFTHSM2_CONF`` when the module is initialised, so call this before the
        adapter loads the module. Idempotent.
        """
        p = self.paths
        if not Path(self.module_path).exists():
            raise TokenError(
                f"SoftHSM2 module not found at {self.module_path}; install the softhsm2 package",
                code="token.module_load",
            )
        p.tokendir.mkdir(parents=True, exist_ok=True)
        p.drawer.mkdir(parents=True, exist_ok=True)
        conf = (
            f"directories.tokendir = {p.tokendir}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = true\n"
        )
        if not p.conf.exists() or p.conf.read_text() != conf:
            p.conf.write_text(conf)
        state = p.root / _STATE
        if not state.exists():
            self._write_state(
                {
                    "blank_inserted": True,
                    "blank_stock": self.blank_slots,
                    "dirs_at_insert": self._used(),
                }
            )
        os.environ["SOFTHSM2_CONF"] = str(p.conf)
        return self

    def env(self) -> dict[str, str]:
        """The environment a subprocess needs to see the same tokens."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.paths.conf)}

    # -- the reader --------------------------------------------------------------------------

    def _read_state(self) -> dict[str, object]:
        try:
            state = json.loads((self.paths.root / _STATE).read_text())
        except (OSError, ValueError):
            state = None
        if isinstance(state, dict):
            return state
        # No state file yet (or an unreadable one): a blank key sits in the reader.
        return {"blank_inserted": True, "blank_stock": self.blank_slots}

    def _write_state(self, state: dict[str, object]) -> None:
        tmp = self.paths.root / (_STATE + ".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.paths.root / _STATE)

    def _token_dirs(self, where: Path) -> list[Path]:
        return sorted(d for d in where.iterdir() if d.is_dir()) if where.exists() else []

    def blanks_left(self) -> int:
        """Blank keys still in stock (every token directory, in the reader or pulled, used one)."""
        stock = int(str(self._read_state().get("blank_stock", self.blank_slots)))
        return max(0, stock - self._used())

    def _used(self) -> int:
        return len(self._token_dirs(self.paths.tokendir)) + len(self._token_dirs(self.paths.drawer))

    def blank_present(self) -> bool:
        """Whether a blank key sits in the reader.

        Initialising the blank key turns it into an issued key: SoftHSM then shows a fresh blank
        slot, which is the *next* key in stock, not in the reader until :meth:`insert_blank`.
        """
        state = self._read_state()
        if not state.get("blank_inserted", True) or self.blanks_left() <= 0:
            return False
        return self._used() == int(str(state.get("dirs_at_insert", 0)))

    def reader_state(self) -> tuple[object, ...]:
        """What the module's view of the reader depends on, for :class:`Pkcs11Tokens` to re-scan
        only when it changed: the stand-in's state (blank key in or out, and a count of every
        pull and insert, so a key pulled and put back between two polls still counts as a
        change), the token directories in the reader with their ``token.object`` files (labels,
        flags, PINs: written by another process too) and the ones in the drawer."""
        try:
            state = (self.paths.root / _STATE).read_bytes()
        except OSError:
            state = b""
        inside = []
        for d in self._token_dirs(self.paths.tokendir):
            try:
                st = (d / "token.object").stat()
                inside.append((d.name, st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                inside.append((d.name, 0, 0, 0))
        drawer = tuple(d.name for d in self._token_dirs(self.paths.drawer))
        return str(self.paths.root), state, tuple(inside), drawer

    def _moved(self) -> None:
        # counted in the state file so reader_state changes even when a key comes back into
        # the same place before the next poll
        state = self._read_state()
        self._write_state({**state, "moves": int(str(state.get("moves", 0))) + 1})

    def visible(self, initialised: bool) -> bool:
        """Slot filter for the adapter: hide the blank slot when no blank key is inserted."""
        return initialised or self.blank_present()

    def pull_blank(self) -> None:
        """Take the blank key out of the reader."""
        self._write_state({**self._read_state(), "blank_inserted": False})

    def insert_blank(self) -> None:
        """Put a blank key (from stock) into the reader."""
        self._write_state(
            {**self._read_state(), "blank_inserted": True, "dirs_at_insert": self._used()}
        )

    def _dir_of(self, serial: str, where: Path) -> Path | None:
        # SoftHSM names a token's directory by a UUID whose last 16 hex digits are its serial.
        tail = serial.lower()
        for d in self._token_dirs(where):
            if d.name.replace("-", "").lower().endswith(tail):
                return d
        return None

    def inserted(self) -> list[str]:
        """Serials of the issued keys in the reader."""
        return [d.name.replace("-", "")[-16:] for d in self._token_dirs(self.paths.tokendir)]

    def pulled(self) -> list[str]:
        """Serials of the keys in the drawer (pulled out)."""
        return [d.name.replace("-", "")[-16:] for d in self._token_dirs(self.paths.drawer)]

    def pull(self, serial: str) -> None:
        """Pull an issued key out of the reader (its token directory goes to the drawer).

        Raises:
            TokenError: ``token.not_found`` when no key with that serial is in the reader.
        """
        d = self._dir_of(serial, self.paths.tokendir)
        if d is None:
            raise TokenError(f"No key {serial} in the reader", code="token.not_found")
        shutil.move(str(d), str(self.paths.drawer / d.name))
        self._moved()

    def insert(self, serial: str) -> None:
        """Put a pulled key back into the reader.

        Raises:
            TokenError: ``token.not_found`` when no such key is in the drawer.
        """
        d = self._dir_of(serial, self.paths.drawer)
        if d is None:
            raise TokenError(f"No key {serial} in the drawer", code="token.not_found")
        shutil.move(str(d), str(self.paths.tokendir / d.name))
        self._moved()

    def destroy(self, serial: str) -> None:
        """Throw a key away (a lost or broken key): its token directory is deleted."""
        for where in (self.paths.tokendir, self.paths.drawer):
            d = self._dir_of(serial, where)
            if d is not None:
                shutil.rmtree(d)
                self._moved()
                return
        raise TokenError(f"No key {serial}", code="token.not_found")
