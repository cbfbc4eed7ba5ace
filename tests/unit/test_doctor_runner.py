"""The doctor's runner: concurrent checks, each with its own deadline, errors as failures."""

from __future__ import annotations

import threading
import time

from kiosk.errors import PrinterError
from kiosk.shell.doctor import Check, Level, fail, ok, run_checks, warning, worst


def test_a_hanging_check_fails_at_its_deadline_while_the_others_finish() -> None:
    never = threading.Event()
    checks = [
        Check("stuck", lambda: (never.wait(), ok("unreachable"))[1], 0.3),
        Check("quick", lambda: ok("fine"), 2.0),
        Check(
            "raises",
            lambda: (_ for _ in ()).throw(PrinterError("cover open", code="printer.cover_open")),
            2.0,
        ),
        Check("bug", lambda: 1 / 0, 2.0),  # type: ignore[arg-type,return-value]
    ]
    t0 = time.monotonic()
    results = run_checks(checks)
    took = time.monotonic() - t0
    never.set()
    assert took < 1.5
    by = {r.name: r for r in results}
    assert [r.name for r in results] == ["stuck", "quick", "raises", "bug"]
    assert (
        by["stuck"].level is Level.FAIL and "no answer within 0.3 s" in by["stuck"].finding.message
    )
    assert by["quick"].level is Level.OK
    assert by["raises"].finding.message == "cover open"
    assert by["raises"].finding.details["code"] == "printer.cover_open"
    assert "ZeroDivisionError" in by["bug"].finding.message


def test_checks_run_at_the_same_time() -> None:
    checks = [Check(f"c{i}", lambda: (time.sleep(0.3), ok("x"))[1], 2.0) for i in range(4)]
    t0 = time.monotonic()
    run_checks(checks)
    assert time.monotonic() - t0 < 0.9  # not 4 x 0.3 s


def test_worst_level() -> None:
    results = run_checks(
        [Check("a", lambda: ok("a"), 1), Check("b", lambda: warning("b", "do"), 1)]
    )
    assert worst(results) is Level.WARNING
    results += run_checks([Check("c", lambda: fail("c", "do"), 1)])
    assert worst(results) is Level.FAIL
