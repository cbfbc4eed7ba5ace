"""Staff card sign-in through the real PC/SC stack: pcscd + vsmartcard-vpcd + a virtual card."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from data.store import Store
from hardware.sim.staffcard import VirtualStaffCard
from hardware.staffcard import PcscStaffCardReader
from kiosk import audit
from kiosk.errors import DeviceError, StaffError
from kiosk.staff import Roster, StaffDesk
from tests.unit.staff_support import FAST_POLICY, FakeClock

pytestmark = [pytest.mark.e2e, pytest.mark.needs_pcscd]

READER = "Virtual PCD 00 01"  # the second vpcd reader: the ID card's tests use 00 00


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class _PrivatePcscd:
    """A private pcscd (its own socket through a mount namespace, its own vpcd ports).

    Stop-gap until the ID card area's ``hardware.sim.pcscd`` and its session fixture ``pcscd``
    are on main; :func:`vpcd_port` prefers that fixture, because libpcsclite reads
    ``PCSCLITE_CSOCK_NAME`` once per process (one pcscd per test session).
    """

    def __init__(self, workdir):
        self.workdir = workdir
        self.port = self._free_pair()
        self.proc = None
        self.env: dict[str, str] = {}

    @staticmethod
    def _free_pair() -> int:
        for _ in range(50):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port < 65535 and not _listening(port) and not _listening(port + 1):
                return port
        pytest.fail("no free TCP port pair for vpcd")

    def start(self):
        run, conf = self.workdir / "run", self.workdir / "conf"
        run.mkdir()
        conf.mkdir()
        (conf / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.port:04X}\n"
            "LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n"
            f"CHANNELID    0x{self.port:04X}\n"
        )
        script = 'mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd && shift && exec "$@"'
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(run)]
        cmd += ["pcscd", "--foreground", "-c", str(conf)]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self.env = {"PCSCLITE_CSOCK_NAME": str(run / "pcscd.comm")}
        deadline = time.monotonic() + 10
        while not (_listening(self.port + 1) and (run / "pcscd.comm").exists()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.skip("cannot start a private pcscd here (needs root and unshare)")
            time.sleep(0.02)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def vpcd_port(request, tmp_path_factory):
    """vpcd's port of the second virtual reader, on a pcscd this test session reaches."""
    if shutil.which("pcscd") is None or shutil.which("unshare") is None:
        pytest.skip("pcscd not installed (make test installs pcscd and vsmartcard-vpcd)")
    try:
        shared = request.getfixturevalue("pcscd")  # the ID card area's session pcscd
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        yield shared.port + 1
        return
    daemon = _PrivatePcscd(tmp_path_factory.mktemp("staff-pcscd")).start()
    saved = os.environ.get("PCSCLITE_CSOCK_NAME")
    os.environ.update(daemon.env)
    try:
        yield daemon.port + 1
    finally:
        daemon.stop()
        if saved is None:
            os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        else:
            os.environ["PCSCLITE_CSOCK_NAME"] = saved


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
def roster():
    with Store.open(":memory:") as store:
        r = Roster(store, FAST_POLICY, clock=FakeClock())
        r.add("2001", "李强", "supervisor", "135790", card_uid="04A1B2C3D4E5F6")
        yield r


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
