"""Staff card sign-in through the real PC/SC stack: pcscd + vsmartcard-vpcd + a virtual card.

The session's private pcscd comes from the ID card area's fixtures (``tests/idcard_fixtures.py``);
the staff card sits on its second virtual reader so ID card tests keep the first.
"""

from __future__ import annotations

import time

import pytest

from hardware.sim.staffcard import VirtualStaffCard
from hardware.staffcard import PcscStaffCardReader
from kiosk.errors import DeviceError, StaffError
from kiosk.staff import audit
from kiosk.staff.roster import Roster, StaffDesk
from tests.unit.staff_support import FAST_POLICY, FakeClock

pytestmark = [pytest.mark.e2e, pytest.mark.needs_pcscd]

READER = "Virtual PCD 00 01"  # the second vpcd reader: the ID card's tests use 00 00


@pytest.fixture
def vpcd_port(pcscd) -> int:
    """vpcd's port of the second virtual reader on the session's pcscd (tests/idcard_fixtures)."""
    return int(pcscd.port) + 1


def _wait_absent(reader: PcscStaffCardReader, deadline_s: float = 5.0) -> None:
    """Wait, with a deadline, until pcscd reports the reader empty (removal takes 80-320 ms)."""
    from smartcard import scard

    name = reader.reader_name()
    _, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        states = [(name, scard.SCARD_STATE_UNAWARE)]
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            rv, states = scard.SCardGetStatusChange(ctx, 100, states)
            if rv in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
                flags = states[0][1]
                if flags & scard.SCARD_STATE_EMPTY:
                    return
                states = [(name, flags & ~scard.SCARD_STATE_CHANGED)]
        pytest.fail("the virtual card was still on the reader after removal")
    finally:
        scard.SCardReleaseContext(ctx)


@pytest.fixture
def roster(store):
    r = Roster(store, FAST_POLICY, clock=FakeClock())
    r.add("2001", "李强", "supervisor", "135790", card_uid="04A1B2C3D4E5F6")
    return r


def test_card_uid_then_pin_signs_in(vpcd_port, roster):
    reader = PcscStaffCardReader(READER, timeout_s=5)
    with VirtualStaffCard("04A1B2C3D4E5F6", vpcd_port) as card:
        uid = reader.read_uid()
    assert uid == "04A1B2C3D4E5F6"
    assert bytes.fromhex("FFCA000000") in card.apdus
    session = StaffDesk(roster).sign_in_card(uid, "135790")
    assert session.member.staff_no == "2001" and session.method == "card"
    _wait_absent(reader)


def test_unknown_card_is_refused(vpcd_port, roster):
    reader = PcscStaffCardReader(READER, timeout_s=5)
    with VirtualStaffCard("11223344", vpcd_port):
        uid = reader.read_uid()
    with pytest.raises(StaffError) as e:
        StaffDesk(roster).sign_in_card(uid, "135790")
    assert e.value.code == "staff.unknown_card"
    assert audit.entries(roster.store.db)[-1].reason_code == "unknown_card"
    _wait_absent(reader)


def test_no_card_times_out_and_no_reader_is_named(vpcd_port):
    reader = PcscStaffCardReader(READER, timeout_s=5)
    _wait_absent(reader)
    with pytest.raises(DeviceError) as e:
        reader.read_uid(timeout_s=0.3)
    assert e.value.code == "staffcard.timeout"
    with pytest.raises(DeviceError) as e:
        PcscStaffCardReader("No Such Reader").read_uid(0.1)
    assert e.value.code == "staffcard.no_reader" and READER in e.value.message
