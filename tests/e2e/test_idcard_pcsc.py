"""Reading person files through pcscd + vpcd + the virtual card: the real PC/SC path."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from hardware.idcard import CardMonitor, read_validated, validate_record
from hardware.idcard.errors import (
    BadResponse,
    CardExpired,
    CardRemoved,
    NoCard,
    NoReader,
    NotAnIdCard,
)
from hardware.idcard.pcsc import PcscReader
from hardware.idcard.profile import ApduProfile
from hardware.sim.person import load_person, sample_people
from hardware.sim.vicc import CardBehaviour
from tests.idcard_fixtures import InsertCard

pytestmark = [pytest.mark.e2e, pytest.mark.needs_pcscd]
TODAY = dt.date(2026, 11, 21)


def test_reader_is_found_by_name_pattern(pcscd, pcsc_reader: PcscReader) -> None:
    assert pcsc_reader.reader_name == "Virtual PCD 00 00"
    second = PcscReader(r"PCD 00 01")
    second.open()
    try:
        assert second.reader_name == "Virtual PCD 00 01"
    finally:
        second.close()


def test_no_matching_reader_names_the_connected_ones(pcscd) -> None:
    reader = PcscReader("Gemalto")
    with pytest.raises(NoReader, match="Virtual PCD 00 00"):
        reader.open()


@pytest.mark.parametrize("person", sorted(sample_people()))
def test_every_sample_person_reads_back_exactly(
    person: str, insert_card: InsertCard, pcsc_reader: PcscReader
) -> None:
    insert_card(person)
    pcsc_reader.wait_for_card(5)
    record = pcsc_reader.read()
    assert record == load_person(person)
    assert len(record.photo) == 1024
    if "expired" in person:
        with pytest.raises(CardExpired):
            validate_record(record, TODAY)
    else:
        assert validate_record(record, TODAY) is record


@pytest.mark.parametrize(
    "behaviour",
    [CardBehaviour(max_response=100), CardBehaviour(max_le=0xF0), CardBehaviour(max_response=1)],
    ids=["chained-61xx", "exact-length-6Cxx", "one-byte-chains"],
)
def test_chained_and_length_corrected_answers_are_followed(
    behaviour: CardBehaviour, insert_card: InsertCard, pcsc_reader: PcscReader
) -> None:
    insert_card("zhang_wei", behaviour)
    pcsc_reader.wait_for_card(5)
    if behaviour.max_response == 1:
        with pytest.raises(BadResponse, match="more than 64 commands"):
            pcsc_reader.read()
        return
    assert pcsc_reader.read().name == "张伟"
    assert pcsc_reader.apdu_count > 8


def test_profile_chunk_size_is_configuration(insert_card: InsertCard, pcscd) -> None:
    insert_card("jin_meishan")
    reader = PcscReader("PCD 00 00", ApduProfile(chunk=200))
    reader.open()
    try:
        reader.wait_for_card(5)
        assert reader.read().address.endswith("三〇一二室")
        assert reader.apdu_count == 3 + 2 + 6  # SELECT AID, 2 SELECT EF, 2 + 6 READ BINARY
    finally:
        reader.close()


def test_a_card_that_is_not_an_id_card(insert_card: InsertCard, pcsc_reader: PcscReader) -> None:
    insert_card("zhang_wei", CardBehaviour(aid=bytes.fromhex("A0000000031010")))  # a bank card
    pcsc_reader.wait_for_card(5)
    with pytest.raises(NotAnIdCard, match="6A82"):
        pcsc_reader.read()


def test_card_removed_mid_read(insert_card: InsertCard, pcsc_reader: PcscReader) -> None:
    insert_card("zhang_wei", CardBehaviour(vanish_after=5))
    pcsc_reader.wait_for_card(5)
    with pytest.raises(CardRemoved):
        pcsc_reader.read()


@pytest.mark.parametrize(
    ("behaviour", "match"),
    [
        (CardBehaviour(answers={0xB0: b"\x90"}), "no status word"),
        (CardBehaviour(extra=3), "259 bytes"),
        (CardBehaviour(answers={0xB0: b"\x12\x34"}), "status 1234"),
        (CardBehaviour(answers={0xB0: b"\x69\x82"}), "status 6982"),
        (CardBehaviour(answers={0xB0: b"\x62\x82"}), "ended after 0 of 256"),
        (
            CardBehaviour(answers={0xA4: b"\x6f\x00"}),
            "SELECT of the ID application answered status 6F00",
        ),
    ],
    ids=["short", "over-long", "unknown-sw", "security", "empty-eof", "select-6f00"],
)
def test_bad_answers_are_named(
    behaviour: CardBehaviour, match: str, insert_card: InsertCard, pcsc_reader: PcscReader
) -> None:
    insert_card("zhang_wei", behaviour)
    pcsc_reader.wait_for_card(5)
    with pytest.raises(BadResponse, match=match):
        pcsc_reader.read()


def test_no_card_within_the_timeout(pcsc_reader: PcscReader) -> None:
    with pytest.raises(NoCard):
        pcsc_reader.wait_for_card(0.3)


def test_read_validated_waits_for_the_card(
    insert_card: InsertCard, pcsc_reader: PcscReader
) -> None:
    timer = threading.Timer(0.2, insert_card, args=("chen_guiying_long_term",))
    timer.start()
    try:
        record = read_validated(pcsc_reader, 5, TODAY)
    finally:
        timer.join()
    assert record.long_term and record.nation_name == "壮"


def test_monitor_reports_placed_read_removed(insert_card: InsertCard, pcscd) -> None:
    events: list[str] = []
    seen = {k: threading.Event() for k in ("ready", "read", "removed", "failed")}

    def on_event(e) -> None:
        events.append(e.kind if e.kind != "failed" else f"failed:{e.error.code}")
        if e.kind in seen:
            seen[e.kind].set()

    monitor = CardMonitor(PcscReader("PCD 00 00"), on_event, poll=0.2, today=lambda: TODAY)
    monitor.start()
    try:
        assert seen["ready"].wait(5)
        card = insert_card("wang_yan_rare_char")
        assert seen["read"].wait(5)
        card.remove()
        assert seen["removed"].wait(5)
        insert_card("huang_zhiqiang_expired")
        assert seen["failed"].wait(5)
    finally:
        monitor.stop()
    assert not monitor.running
    assert events[:4] == ["ready", "placed", "read", "removed"]
    assert events[4:6] == ["placed", "failed:idcard.expired"]
    assert events[-1] == "stopped"
