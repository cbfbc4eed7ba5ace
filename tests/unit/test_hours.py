"""Opening hours: weekly periods, 2026's public holidays and make-up working days, overrides."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import default_config_text, parse_settings
from kiosk.domain.hours import HoursRules, calendar_years, counter_status, day_info
from kiosk.errors import DomainError, UsageError

TZ = "Asia/Shanghai"
SH = ZoneInfo(TZ)
RULES = parse_settings(default_config_text(), "<embedded>").counter.to_hours_rules()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def test_the_library_knows_2026() -> None:
    first, last = calendar_years()
    assert first <= 2026 <= last


# Each date checked against chinesecalendar 1.11.0's data (the State Council notice of Nov 2025).
HOLIDAYS_2026 = [
    ("2026-01-01", "元旦"),
    ("2026-01-02", "元旦"),
    ("2026-01-03", "元旦"),
    ("2026-02-15", "春节"),
    ("2026-02-16", "春节"),
    ("2026-02-18", "春节"),
    ("2026-02-23", "春节"),
    ("2026-04-06", "清明节"),
    ("2026-05-01", "劳动节"),
    ("2026-05-05", "劳动节"),
    ("2026-06-19", "端午节"),
    ("2026-09-25", "中秋节"),
    ("2026-10-01", "国庆节"),
    ("2026-10-07", "国庆节"),
]


@pytest.mark.parametrize(("day", "name"), HOLIDAYS_2026)
def test_2026_public_holidays_are_closed_and_named(day: str, name: str) -> None:
    s = counter_status(at(f"{day}T10:00"), RULES, TZ)
    assert not s.open
    assert (s.reason, s.holiday_name) == ("holiday", name)
    assert name in s.zh


MAKEUP_2026 = [
    ("2026-01-04", "元旦"),  # Sunday
    ("2026-02-14", "春节"),  # Saturday
    ("2026-02-28", "春节"),  # Saturday
    ("2026-05-09", "劳动节"),  # Saturday
    ("2026-09-20", "国庆节"),  # Sunday
    ("2026-10-10", "国庆节"),  # Saturday
]


@pytest.mark.parametrize(("day", "name"), MAKEUP_2026)
def test_2026_make_up_working_days_open_at_the_weekend(day: str, name: str) -> None:
    assert date.fromisoformat(day).weekday() >= 5
    s = counter_status(at(f"{day}T09:00"), RULES, TZ)
    assert s.open and s.makeup_workday
    assert (s.reason, s.holiday_name) == ("makeup_workday_open", name)


def test_lunch_on_a_make_up_day_is_lunch() -> None:
    s = counter_status(at("2026-02-14T12:30"), RULES, TZ)
    assert (s.open, s.reason, s.makeup_workday) == (False, "lunch", True)
    assert s.next_open == at("2026-02-14T14:00")


def test_ordinary_saturday_is_weekend() -> None:
    s = counter_status(at("2026-11-21T10:00"), RULES, TZ)
    assert (s.open, s.reason) == (False, "weekend")
    assert s.next_open == at("2026-11-23T08:30")


@pytest.mark.parametrize(
    ("moment", "is_open", "reason"),
    [
        ("2026-11-23T08:29", False, "before_hours"),
        ("2026-11-23T08:30", True, "open"),
        ("2026-11-23T11:59", True, "open"),
        ("2026-11-23T12:00", False, "lunch"),
        ("2026-11-23T13:59", False, "lunch"),
        ("2026-11-23T14:00", True, "open"),
        ("2026-11-23T17:29", True, "open"),
        ("2026-11-23T17:30", False, "after_hours"),
    ],
)
def test_weekday_periods_and_lunch(moment: str, is_open: bool, reason: str) -> None:
    s = counter_status(at(moment), RULES, TZ)
    assert (s.open, s.reason) == (is_open, reason)


def test_open_status_says_when_the_period_ends() -> None:
    assert counter_status(at("2026-11-23T15:00"), RULES, TZ).closes_at == at("2026-11-23T17:30")


def test_national_day_next_opening_skips_the_whole_week() -> None:
    s = counter_status(at("2026-09-30T18:00"), RULES, TZ)
    assert s.next_open == at("2026-10-08T08:30")


def test_spring_festival_eve_of_closure_points_past_the_holiday() -> None:
    # Friday 13 Feb after hours -> Saturday 14 Feb is a make-up working day.
    s = counter_status(at("2026-02-13T18:00"), RULES, TZ)
    assert s.next_open == at("2026-02-14T08:30")
    # Saturday 14 Feb after hours -> closed 15-23 Feb -> Tuesday 24 Feb.
    s = counter_status(at("2026-02-14T18:00"), RULES, TZ)
    assert s.next_open == at("2026-02-24T08:30")


def test_the_moment_is_read_in_the_counters_zone() -> None:
    # 02:00 UTC is 10:00 in Shanghai on National Day.
    s = counter_status(datetime(2026, 10, 1, 2, 0, tzinfo=ZoneInfo("UTC")), RULES, TZ)
    assert s.reason == "holiday"
    s = counter_status(datetime(2026, 11, 23, 2, 0, tzinfo=ZoneInfo("UTC")), RULES, TZ)
    assert s.open


def test_naive_moment_is_refused() -> None:
    with pytest.raises(UsageError):
        counter_status(datetime(2026, 11, 23, 10, 0), RULES, TZ)


def test_extra_closed_day_closes_a_working_day() -> None:
    rules = HoursRules(
        weekly=RULES.weekly,
        workday_periods=RULES.workday_periods,
        extra_closed=frozenset({date(2026, 11, 23)}),
    )
    s = counter_status(at("2026-11-23T10:00"), rules, TZ)
    assert (s.open, s.reason) == (False, "extra_closed")
    assert s.next_open == at("2026-11-24T08:30")


def test_extra_working_day_opens_a_holiday() -> None:
    rules = HoursRules(
        weekly=RULES.weekly,
        workday_periods=RULES.workday_periods,
        extra_working=frozenset({date(2026, 10, 5)}),
    )
    s = counter_status(at("2026-10-05T10:00"), rules, TZ)
    assert (s.open, s.reason) == (True, "extra_working_open")


def test_without_the_calendar_a_holiday_is_a_weekday() -> None:
    rules = HoursRules(weekly=RULES.weekly, use_chinese_calendar=False)
    assert counter_status(at("2026-10-01T10:00"), rules, TZ).open
    assert not counter_status(at("2026-02-14T10:00"), rules, TZ).open  # no make-up day either


def test_a_year_the_library_lacks_is_flagged_and_keeps_fixed_date_holidays() -> None:
    _, last = calendar_years()
    year = last + 1
    new_year = counter_status(at(f"{year}-01-01T10:00"), RULES, TZ)
    assert (new_year.reason, new_year.holiday_name, new_year.calendar_known) == (
        "holiday",
        "元旦",
        False,
    )
    # A plain working day of that year: weekly hours, flagged as not calendar-checked.
    d = date(year, 3, 10)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    s = counter_status(datetime.combine(d, time(10, 0), tzinfo=SH), RULES, TZ)
    assert s.open and not s.calendar_known


def test_next_opening_into_an_unknown_year_is_flagged() -> None:
    _, last = calendar_years()
    s = counter_status(at(f"{last}-12-31T18:00"), RULES, TZ)
    assert not s.calendar_known


def test_day_info_classifies_without_a_time() -> None:
    assert day_info(date(2026, 10, 1), RULES).reason == "holiday"
    assert day_info(date(2026, 10, 10), RULES).reason == "makeup_workday"
    assert day_info(date(2026, 11, 21), RULES).reason == "weekend"
    assert day_info(date(2026, 11, 23), RULES).reason == "workday"


def test_rules_must_have_seven_days() -> None:
    with pytest.raises(DomainError):
        HoursRules(weekly=((),) * 6)


def test_weekdays_helper_opens_monday_to_friday() -> None:
    rules = HoursRules.weekdays([(time(9), time(17))], use_chinese_calendar=False)
    assert counter_status(at("2026-11-27T16:59"), rules, TZ).open  # Friday
    assert not counter_status(at("2026-11-28T10:00"), rules, TZ).open  # Saturday
