"""`kiosk doctor`'s calendar check: the coming weeks' statutory holidays must be known."""

from __future__ import annotations

from datetime import date

from kiosk.config import load_settings
from kiosk.domain.hours import calendar_years
from kiosk.shell.doctor import Level, check_calendar


def _settings(**counter: object):
    s = load_settings(None)
    return s.model_copy(update={"counter": s.counter.model_copy(update=counter)})


def test_known_weeks_are_ok_and_a_year_the_library_lacks_is_a_warning_weeks_ahead() -> None:
    _first, last = calendar_years()
    s = _settings(extra_closed_days=[], extra_working_days=[])
    assert check_calendar(s, today=date(last, 6, 1)).level is Level.OK
    f = check_calendar(s, today=date(last, 11, 30))  # 1 January is 32 days ahead
    assert f.level is Level.WARNING
    assert f"from {last + 1}-01-01 (in 32 days)" in f.message
    assert f"State Council's {last + 1} holidays" in f.next_step
    inside = check_calendar(s, today=date(last + 1, 3, 1))
    assert (
        inside.level is Level.WARNING
        and "knows" in inside.message
        and ": now only" in inside.message
    )


def test_a_year_given_in_kiosk_toml_counts_as_configured() -> None:
    _first, last = calendar_years()
    nxt = last + 1
    s = _settings(extra_closed_days=[date(nxt, 2, 10)], extra_working_days=[date(nxt, 2, 7)])
    f = check_calendar(s, today=date(last, 12, 20))
    assert f.level is Level.OK and f"and {nxt} from kiosk.toml" in f.message
    # the configured year does not vouch for the one after it
    assert check_calendar(s, today=date(nxt, 12, 1)).level is Level.WARNING
    # one local closure in May is not the year's calendar: its Spring Festival is missing
    may = _settings(extra_closed_days=[date(nxt, 5, 6)], extra_working_days=[])
    assert check_calendar(may, today=date(last, 12, 20)).level is Level.WARNING


def test_calendar_off_is_ok_and_says_so() -> None:
    f = check_calendar(_settings(holiday_calendar="none"), today=date(2040, 1, 1))
    assert f.level is Level.OK and "off" in f.message
