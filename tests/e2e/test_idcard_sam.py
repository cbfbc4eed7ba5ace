"""Reading person files through the SAM frame protocol, against the simulated SAM on a pty."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from hardware.idcard import CardMonitor, validate_record
from hardware.idcard.errors import (
    CardRemoved,
    NoCard,
    NoReader,
    NotAnIdCard,
    SamFrameError,
    SamTimeout,
)
from hardware.idcard.sam import SamReader
from hardware.sim.person import load_card, load_person, sample_people
from hardware.sim.sam import SamBehaviour, SimulatedSam

pytestmark = pytest.mark.e2e
TODAY = dt.date(2026, 11, 21)


def test_module_id_is_read_and_formatted(sam_reader: SamReader) -> None:
    assert sam_reader.sam_id() == "05.01-20201231-0000000001-1234567890"


@pytest.mark.parametrize("person", sorted(sample_people()))
def test_every_sample_person_reads_back_exactly(
    person: str, sim_sam: SimulatedSam, sam_reader: SamReader
) -> None:
    sim_sam.place(load_card(person))
    sam_reader.wait_for_card(2)
    assert sam_reader.read() == load_person(person)


def test_placing_and_taking_away_is_seen(sim_sam: SimulatedSam, sam_reader: SamReader) -> None:
    with pytest.raises(NoCard):
        sam_reader.wait_for_card(0.1)
    timer = threading.Timer(0.1, sim_sam.place, args=(load_card("zhang_wei"),))
    timer.start()
    sam_reader.wait_for_card(2)
    timer.join()
    assert not sam_reader.wait_for_removal(0.1)
    sim_sam.take_away()
    assert sam_reader.wait_for_removal(1)


@pytest.mark.parametrize(
    ("behaviour", "error", "match"),
    [
        (SamBehaviour(bad_check=0x30), SamFrameError, "check byte"),
        (SamBehaviour(bad_length=0x30), SamFrameError, r"declares 1295 bytes but only \d+ came"),
        (SamBehaviour(lose_card_on_read=True), CardRemoved, "left the reader"),
        (SamBehaviour(not_id_card=True), NotAnIdCard, "not an ID card"),
    ],
    ids=["bad-check-byte", "bad-length", "card-lost", "not-an-id-card"],
)
def test_faults_are_named(
    behaviour: SamBehaviour, error: type, match: str, sim_sam: SimulatedSam, sam_reader: SamReader
) -> None:
    sim_sam.behaviour = behaviour
    sim_sam.place(load_card("zhang_wei"))
    sam_reader.wait_for_card(2)
    with pytest.raises(error, match=match):
        sam_reader.read()


def test_a_silent_module_is_a_timeout() -> None:
    with SimulatedSam(SamBehaviour(silent=True)) as sam:
        reader = SamReader(sam.path, answer_timeout=0.2)
        with pytest.raises(SamTimeout, match="did not answer"):
            reader.open()
        reader.close()


def test_a_device_that_does_not_exist_is_no_reader() -> None:
    with pytest.raises(NoReader, match="/dev/ttyNOPE"):
        SamReader("/dev/ttyNOPE").open()


def test_monitor_over_sam(sim_sam: SimulatedSam) -> None:
    events: list[str] = []
    done = threading.Event()

    def on_event(e) -> None:
        events.append(e.kind)
        if e.kind == "removed":
            done.set()

    read = threading.Event()
    records = []

    def on(e) -> None:
        on_event(e)
        if e.kind == "read":
            records.append(e.record)
            read.set()

    monitor = CardMonitor(SamReader(sim_sam.path, poll=0.02), on, poll=0.1, today=lambda: TODAY)
    monitor.start()
    try:
        sim_sam.place(load_card("liang_jiahao_hk_permit"))
        assert read.wait(3)
        sim_sam.take_away()
        assert done.wait(3)
    finally:
        monitor.stop()
    assert events[:4] == ["ready", "placed", "read", "removed"]
    assert validate_record(records[0], TODAY).pass_number == "H60123456"
