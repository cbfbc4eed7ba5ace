"""Fixtures for the ID card: a private pcscd with vpcd, virtual cards, a simulated SAM on a pty.

pcscd runs as a child of the test session (``--foreground``), in a private mount namespace with
its own socket and vpcd port when possible (see :mod:`hardware.sim.pcscd`), so a host pcscd or a
parallel session is never disturbed. libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process,
so the session sets it at configure time, before any PC/SC call (see ``pytest_configure``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.idcard.pcsc import PcscReader
from hardware.idcard.sam import SamReader
from hardware.sim.pcscd import PcscdProcess, can_isolate
from hardware.sim.person import CardImage, load_card
from hardware.sim.sam import SamBehaviour, SimulatedSam
from hardware.sim.vicc import CardBehaviour, VirtualCard

READER = "Virtual PCD 00 00"
_PCSCD = pytest.StashKey[tuple[Path, bool]]()


def pytest_configure(config: pytest.Config) -> None:
    """Fix pcscd's socket path before any test runs.

    libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process, at the first PC/SC call, and any
    test may make one (the status bar's reader probe does). So the path is decided here, for the
    whole session, and the ``pcscd`` fixture starts the daemon on it when a test needs it.
    """
    # KIOSK_PCSCD_ISOLATE=0 forces the fallback (host paths, port 35963) that machines without
    # mount namespaces get; default: isolate when possible.
    forced = {"0": False, "1": True}.get(os.environ.get("KIOSK_PCSCD_ISOLATE", ""))
    isolate = can_isolate() if forced is None else forced
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-pcscd-"))
    if isolate:
        os.environ["PCSCLITE_CSOCK_NAME"] = str(workdir / "run" / "pcscd.comm")
    config.stash[_PCSCD] = (workdir, isolate)


def pytest_unconfigure(config: pytest.Config) -> None:
    workdir, _isolate = config.stash.get(_PCSCD, (None, False))
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def pcscd(request: pytest.FixtureRequest) -> Iterator[PcscdProcess]:
    """A running pcscd with the vpcd driver, stopped at the end of the session."""
    workdir, isolate = request.config.stash[_PCSCD]
    daemon = PcscdProcess(workdir, isolate=isolate).start()
    assert not isolate or os.environ["PCSCLITE_CSOCK_NAME"] == str(daemon.socket_path)
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def pcsc_reader(pcscd: PcscdProcess) -> Iterator[PcscReader]:
    """The first virtual reader, opened."""
    reader = PcscReader("^" + READER + "$")
    reader.open()
    try:
        yield reader
    finally:
        reader.close()


InsertCard = Callable[..., VirtualCard]


@pytest.fixture
def insert_card(pcscd: PcscdProcess, pcsc_reader: PcscReader) -> Iterator[InsertCard]:
    """Insert a virtual card: ``insert_card("zhang_wei")`` or ``insert_card(image, behaviour)``.

    Every card is removed at the end, and the test waits until pcscd has seen it go, so the
    next test starts with an empty reader.
    """
    cards: list[VirtualCard] = []

    def insert(
        person: str | CardImage = "zhang_wei", behaviour: CardBehaviour | None = None
    ) -> VirtualCard:
        image = load_card(person) if isinstance(person, str) else person
        card = VirtualCard(image, port=pcscd.port, behaviour=behaviour)
        card.insert()
        cards.append(card)
        return card

    yield insert
    for card in cards:
        card.remove()
    if cards:
        assert pcsc_reader.wait_for_removal(5.0), "pcscd still sees a card after removal"


@pytest.fixture
def sim_sam() -> Iterator[SimulatedSam]:
    """A simulated SAM on a fresh pty."""
    with SimulatedSam(SamBehaviour()) as sam:
        yield sam


@pytest.fixture
def sam_reader(sim_sam: SimulatedSam) -> Iterator[SamReader]:
    """A SAM reader on the simulated module's pty, opened, with short timeouts."""
    reader = SamReader(sim_sam.path, answer_timeout=0.5, poll=0.02)
    reader.open()
    try:
        yield reader
    finally:
        reader.close()


@pytest.fixture
def people_dir() -> Path:
    """The shipped sample person files."""
    from hardware.sim.person import PEOPLE_DIR

    return PEOPLE_DIR
