"""The real printer adapter (python-escpos Network backend) against the TCP stand-in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hardware.printer import Cut, Doc, Line, Qr
from hardware.sim.escpos_decode import decode
from hardware.sim.printer import PrinterSim
from kiosk.errors import PrinterError
from tests.money_helpers import stand_in_printer

pytestmark = pytest.mark.e2e

DOC = Doc(42, (Line("收费凭证 测试"), Qr("DG-20261121-0001"), Cut()))


@pytest.fixture
def sim(tmp_path: Path):
    with PrinterSim(tmp_path / "printer") as s:
        yield s


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ready", "ready"),
        ("paper-low", "paper_low"),
        ("paper-out", "paper_out"),
        ("cover-open", "cover_open"),
        ("error", "error"),
        ("offline", "offline"),
    ],
)
def test_status_reports_each_state(sim: PrinterSim, state: str, expected: str) -> None:
    sim.set_state(state)
    st = stand_in_printer(sim.uri).status()
    assert st.state == expected
    assert st.message and st.message_zh


def test_a_job_lands_whole_and_reads_back(sim: PrinterSim) -> None:
    stand_in_printer(sim.uri).print_doc(DOC)
    (job,) = sim.wait_for_jobs(1)
    paper = decode(job)
    assert paper.lines == ["收费凭证 测试"]
    assert paper.qr_codes == ["DG-20261121-0001"]
    assert len(paper.cuts) == 1
    assert paper.status_queries == []  # the stand-in answered them; they are not "printed"


@pytest.mark.parametrize(
    ("state", "code"), [("paper-out", "printer.paper_out"), ("cover-open", "printer.cover_open")]
)
def test_not_ready_printer_refuses_before_any_byte_is_sent(
    sim: PrinterSim, state: str, code: str
) -> None:
    sim.set_state(state)
    with pytest.raises(PrinterError) as e:
        stand_in_printer(sim.uri).print_doc(DOC)
    assert e.value.code == code
    assert sim.jobs() == [] and sim.lost() == []


def test_unreachable_printer_is_offline(tmp_path: Path) -> None:
    with PrinterSim(tmp_path / "p") as s:
        uri = s.uri
    with pytest.raises(PrinterError) as e:
        stand_in_printer(uri).print_doc(DOC)
    assert e.value.code == "printer.offline"


def test_printer_dropping_mid_job_is_an_error_not_a_print(sim: PrinterSim) -> None:
    sim.set_fault_drop_after(20)
    with pytest.raises(PrinterError) as e:
        stand_in_printer(sim.uri).print_doc(DOC)
    assert e.value.code in ("printer.offline", "printer.write_failed")
    deadline = time.monotonic() + 5
    while not sim.partial_jobs() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sim.partial_jobs() and sim.jobs() == []


def test_cli_stand_in_and_print_test_as_real_processes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    kiosk = [sys.executable, "-m", "kiosk"]
    proc = subprocess.Popen(
        [*kiosk, "sim", "printer", "--port", "0", "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        assert "printer stand-in on tcp://127.0.0.1:" in line
        uri = line.split(" on ")[1].split(",")[0]
        ok = subprocess.run(
            [*kiosk, "print", "test", "--printer", uri], capture_output=True, text=True, timeout=60
        )
        assert ok.returncode == 0, ok.stderr
        subprocess.run(
            [*kiosk, "sim", "printer-state", "--out", str(out), "paper-out"], check=True, timeout=60
        )
        bad = subprocess.run(
            [*kiosk, "print", "test", "--printer", uri], capture_output=True, text=True, timeout=60
        )
        assert bad.returncode == 1
        assert "out of paper" in bad.stderr and "Traceback" not in bad.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    (job,) = sorted(out.glob("job-*.bin"))
    paper = decode(job.read_bytes())
    assert paper.find("网证通电子认证中心") and paper.find("，。；：！？“”《》【】")
    assert paper.find("￥1,200.00")
    assert paper.qr_codes == ["NETCA-PRINT-TEST"] and len(paper.cuts) == 1
    assert os.path.exists(out / "state")


def test_file_backend_writes_the_job_and_cannot_report_status(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    device.touch()
    printer = stand_in_printer(f"file://{device}")
    assert printer.status().state == "unknown" and printer.status().ready
    printer.print_doc(DOC)
    assert decode(device.read_bytes()).lines == ["收费凭证 测试"]


def test_serial_backend_over_a_pty_answers_status(tmp_path: Path) -> None:
    """A pseudo-terminal stands in for the printer's serial line; this side plays the printer."""
    import pty
    import threading

    master, slave = pty.openpty()
    tty = os.ttyname(slave)
    got = bytearray()
    stop = threading.Event()

    def printer_side() -> None:
        import select

        answered = 0
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            got.extend(os.read(master, 4096))
            # A status query (DLE EOT n) may arrive split across reads: scan what came so far.
            while (i := got.find(b"\x10\x04", answered)) != -1 and i + 2 < len(got):
                os.write(master, b"\x12")
                answered = i + 3

    t = threading.Thread(target=printer_side, daemon=True)
    t.start()
    try:
        import termios
        import tty as ttymod

        ttymod.setraw(slave)  # no echo, no newline translation: bytes as a serial line carries them
        termios.tcflush(slave, termios.TCIOFLUSH)
        printer = stand_in_printer(f"serial://{tty}?baudrate=19200")
        assert printer.status().state == "ready"
        printer.print_doc(DOC)
        deadline = time.monotonic() + 5
        while b"\x1dV" not in got and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        t.join(timeout=2)
        os.close(master)
        os.close(slave)
    job = bytes(got)
    start = job.index(b"\x1b@")  # the job's own bytes, after the status queries
    assert decode(job[start:]).lines == ["收费凭证 测试"]


def test_bad_printer_uri_is_a_usage_error_listing_the_forms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kiosk.shell.cli import main

    assert main(["print", "test", "--printer", "lpt://x"]) == 2
    err = capsys.readouterr().err
    assert "tcp://HOST:PORT" in err and "serial:///dev/ttyS0" in err and "Traceback" not in err
