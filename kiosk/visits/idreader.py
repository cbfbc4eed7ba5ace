"""The agent's ID card for a headless visit (``[agent] from_reader = true``).

On a counter the card is read from the reader kiosk.toml configures (``[devices.reader]``:
PC/SC or the SAM on a serial line) and validated as the screen does
(:func:`hardware.idcard.read_validated`: check character, birth date, sex, nation, the card's
validity period on the counter's date). In training the reader is the stand-in: a pcscd with
vpcd's virtual reader and a virtual card, found in this order:

1. the pcscd the environment names: ``PCSCLITE_CSOCK_NAME`` (a private one) or
   ``KIOSK_VPCD_PORT`` (vpcd's port; else 35963), as ``kiosk sim card insert`` uses them;
2. the one ``kiosk sim pcscd start`` runs for this data directory (``run/pcscd.pid``);
3. else a private pcscd under ``<data>/stand-ins/pcscd``, started for this run and stopped by
   :meth:`kiosk.visits.resources.Resources.close` (the builder registers it).

Whose card lies on it: ``[agent] sample = "zhang_wei"`` (training only) places that sample
person's card for the read and takes it away after; without ``sample`` the run waits for a card
placed from outside (``kiosk sim card insert --person …``, with pcscd 1 or 2 above).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from hardware.idcard import read_validated
from hardware.idcard.errors import NoCard
from hardware.sim.pcscd import PcscdProcess
from hardware.sim.person import load_card
from hardware.sim.vicc import VirtualCard
from kiosk.domain import clock
from kiosk.errors import KioskError, UsageError

#: vpcd's first port when nothing else says (``kiosk sim pcscd start`` uses it).
VPCD_PORT = 35963


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


class TrainingCardReader:
    """The training reader's pcscd (reused or started) and the sample card placed on it.

    Args:
        base: the run's data folder (``DataPaths.base``).
        roots: folders whose ``run/pcscd.pid`` may name a ``kiosk sim pcscd start`` daemon.
    """

    def __init__(self, base: Path, roots: list[Path]):
        self.base = Path(base)
        self.roots = roots
        self.port: int | None = None
        self._pcscd: Any = None
        self._card: Any = None

    def ensure(self) -> int:
        """Make sure a pcscd with vpcd runs; returns vpcd's port."""
        if self.port is not None:
            return self.port
        if os.environ.get("PCSCLITE_CSOCK_NAME") or os.environ.get("KIOSK_VPCD_PORT"):
            self.port = int(os.environ.get("KIOSK_VPCD_PORT") or VPCD_PORT)
            return self.port
        if any(_alive(r / "run" / "pcscd.pid") for r in self.roots):
            self.port = VPCD_PORT
            return self.port
        daemon = PcscdProcess(self.base / "stand-ins" / "pcscd")
        if daemon.isolate:
            # libpcsclite reads the socket's name once, at its first use (none before this)
            os.environ["PCSCLITE_CSOCK_NAME"] = str(daemon.socket_path)
        self._pcscd = daemon.start()
        self.port = daemon.port
        return self.port

    def place(self, person: str) -> None:
        """Place a sample person's card (a name in hardware/sim/people or a person file)."""
        port = self.ensure()
        self.take_away()
        card = VirtualCard(load_card(person), port=port)
        card.insert()
        self._card = card

    def take_away(self) -> None:
        """Take the placed card back (the agent keeps their card)."""
        if self._card is not None:
            with contextlib.suppress(KioskError, OSError):
                self._card.remove()
            self._card = None

    def close(self) -> None:
        """Take the card away and stop the pcscd this run started."""
        self.take_away()
        if self._pcscd is not None:
            self._pcscd.stop()
            self._pcscd = None


def read_agent(res: Any, given: dict[str, Any]) -> dict[str, Any]:
    """Read and validate the agent's card; returns the ``[agent]`` fields the card carries
    (name, id_number, id_valid_to) plus ``mobile`` from the file (not on a card).

    Args:
        res: the flow's :class:`~kiosk.visits.resources.Resources` (settings, training, the
            wait's timeout ``card_timeout_s`` and ``notice`` for the "place the card" line).
        given: the file's ``[agent]`` table (``from_reader``, optional ``mobile``, ``sample``).

    Raises:
        IdCardError: the reader's named errors (``idcard.no_card`` when no card came in time,
            ``idcard.expired``, ``idcard.bad_check_char`` …, ``idcard.no_reader``).
        UsageError: ``visit.sample_training_only`` (``sample`` outside training).
    """
    rs = res.settings.devices.reader
    timeout = float(res.card_timeout_s if res.card_timeout_s is not None else rs.timeout_s)
    sample = given.get("sample")
    if sample and not res.training:
        raise UsageError(
            "[agent] sample places a sample person's card on the training stand-in; "
            "on a counter the real card is read (drop sample, or run with --training)",
            code="visit.sample_training_only",
        )
    where = "the stand-in reader" if res.training else f"the {rs.backend} reader"
    if res.training:
        stand_in = res.training_card_reader()
        stand_in.ensure()
        if sample:
            stand_in.place(str(sample))
    if res.id_reader is None:
        raise UsageError("no ID card reader is wired for this run", code="visit.no_reader")
    reader = res.id_reader()
    today = clock.local_today(res.now(), res.settings.counter.timezone)
    try:
        reader.open()
        res.notice(f"place the agent's ID card on {where} (waiting up to {timeout:g} s)")
        try:
            record = read_validated(reader, timeout, today)
        except NoCard as e:
            hint = (
                ' (training: give [agent] sample = "…", or place one with '
                "kiosk sim card insert --person …)"
                if res.training
                else ""
            )
            raise NoCard(
                f"No ID card was placed on {where} within {timeout:g} s. Place the card on "
                f"the reader and resume the visit{hint}."
            ) from e
    finally:
        reader.close()
        if res.training and sample:
            res.training_card_reader().take_away()
    return {
        "name": record.name,
        "id_number": record.id_number,
        "id_valid_to": None if record.valid_to is None else record.valid_to.isoformat(),
        "mobile": given.get("mobile"),
        "source": "card",
    }
