"""Fixtures for the ID card: a private pcscd with vpcd, virtual cards, a simulated SAM on a pty.

pcscd runs as a child of the test session (``--foreground``), in a private mount namespace with
its own socket and vpcd port when possible (see :mod:`hardware.sim.pcscd`), so a host pcscd or a
parallel session is never disturbed. libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process,
so the session sets it before any PC/SC call and keeps it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.idcard.pcsc import PcscReader
from hardware.idcard.sam import SamReader
from hardware.sim.pcscd import PcscdProcess
from hardware.sim.person import CardImage, load_card
from hardware.sim.sam import SamBehaviour, SimulatedSam
from hardware.sim.vicc import CardBehaviour, VirtualCard

READER = "Virtual PCD 00 00"


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscdProcess]:
    """A running pcscd with the vpcd driver, stopped at the end of the session."""
    # KIOSK_PCSCD_ISOLATE=0 forces the fallback (host paths, port 35963) that machines without
    # mount namespaces get; default: isolate when possible.
    isolate = {"0": False, "1": True}.get(os.environ.get("KIOSK_PCSCD_ISOLATE", ""))
    daemon = PcscdProcess(tmp_path_factory.mktemp("pcscd"), isolate=isolate).start()
    saved = {k: os.environ.get(k) for k in daemon.env}
    os.environ.update(daemon.env)
    try:
        yield daemon
    finally:
        daemon.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


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
