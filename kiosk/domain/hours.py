"""Is the counter open? Weekly hours, Chinese public holidays and make-up working days (调休).

Holidays and make-up days come from the maintained ``chinesecalendar`` library (import name
``chinese_calendar``), which knows each year once the State Council publishes it (version
1.11.0 knows 2004–2026). Configuration can close extra days or open extra days; for a year the
library does not know yet, the weekly hours and the fixed-date holidays (1 Jan, 1–2 May,
1–3 Oct) apply and :attr:`CounterStatus.calendar_known` is False, so screens and the CLI can say
that the lunar holidays and make-up days are not accounted for.

Order of the rules for a date: an extra closed day closes; an extra working day opens (weekday
hours, else the make-up-day hours); a statutory holiday closes (even on a weekend, and it is
named); a make-up working day opens with ``workday_periods``; otherwise the weekday's periods.
Within a working day a time is open when ``start <= t < end`` of a period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import chinese_calendar

from kiosk.domain.clock import to_local
from kiosk.errors import DomainError

Period = tuple[time, time]

# Names of chinese_calendar's Holiday members in Chinese (the library names them in English).
HOLIDAY_ZH = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "national_day": "国庆节",
    "mid_autumn_festival": "中秋节",
    "anti_fascist_70th_day": "抗战胜利70周年纪念日",
}
_WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Statutory holidays on fixed solar dates (《全国年节及纪念日放假办法》, 2024 revision in force
# from 2025): applied for years chinesecalendar does not know yet. The lunar holidays and the
# make-up days (调休) are only known once the State Council publishes the year.
FIXED_HOLIDAYS: dict[tuple[int, int], str] = {
    (1, 1): "new_years_day",
    (5, 1): "labour_day",
    (5, 2): "labour_day",
    (10, 1): "national_day",
    (10, 2): "national_day",
    (10, 3): "national_day",
}
# How far ahead next_open is searched (longer than any closure: Spring Festival is 9 days).
_SEARCH_DAYS = 60


@dataclass(frozen=True, slots=True)
class HoursRules:
    """The counter's opening rules, pure data.

    Attributes:
        weekly: seven tuples of (start, end) periods, Monday first; empty = closed that weekday.
        workday_periods: periods on a make-up working day (调休上班), which is usually a weekend.
        extra_closed: dates closed although the calendar says working.
        extra_working: dates open although the calendar says closed.
        use_chinese_calendar: apply statutory holidays and make-up days from chinesecalendar.
    """

    weekly: tuple[tuple[Period, ...], ...]
    workday_periods: tuple[Period, ...] = ()
    extra_closed: frozenset[date] = field(default_factory=frozenset)
    extra_working: frozenset[date] = field(default_factory=frozenset)
    use_chinese_calendar: bool = True

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise DomainError(
                f"weekly hours need 7 days, got {len(self.weekly)}", code="hours.rules"
            )
        for periods in (*self.weekly, self.workday_periods):
            for start, end in periods:
                if start >= end:
                    raise DomainError(
                        f"period {start:%H:%M}-{end:%H:%M} ends before it starts",
                        code="hours.rules",
                    )

    @classmethod
    def weekdays(
        cls,
        periods: Iterable[Period],
        **kwargs: Any,
    ) -> HoursRules:
        """Rules with the same ``periods`` Monday to Friday, closed at weekends."""
        day = tuple(sorted(periods))
        return cls(weekly=(day,) * 5 + ((), ()), workday_periods=day, **kwargs)


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What kind of day a date is at the counter.

    Attributes:
        periods: opening periods that day (empty = closed).
        reason: ``"workday"``, ``"makeup_workday"``, ``"extra_working"``, ``"weekend"``,
            ``"closed_day"`` (a weekday without hours), ``"holiday"`` or ``"extra_closed"``.
        holiday: the chinese_calendar Holiday member's name (``"spring_festival"``) for a
            statutory holiday or the make-up day that belongs to one, else None.
        calendar_known: the holiday library covers this date's year.
    """

    periods: tuple[Period, ...]
    reason: str
    holiday: str | None = None
    calendar_known: bool = True


@dataclass(frozen=True, slots=True)
class CounterStatus:
    """Open or closed at a moment, and why.

    Attributes:
        open: the counter serves now.
        reason: ``"open"``, ``"makeup_workday_open"``, ``"extra_working_open"``, ``"weekend"``,
            ``"holiday"``, ``"lunch"`` (between two periods), ``"before_hours"``,
            ``"after_hours"``, ``"extra_closed"`` or ``"closed_day"``.
        zh, en: one sentence for people (zh-CN first).
        holiday_name: the holiday in Chinese (``"春节"``) when it matters, else None.
        holiday_name_en: the same in English (``"Spring Festival"``).
        next_open: when it next opens (aware, counter's zone), None if open now or unknown.
        closes_at: when the current period ends (aware), if open.
        makeup_workday: the date is a make-up working day (调休上班).
        calendar_known: the holiday library covers this year (False: holidays not applied).
    """

    open: bool
    reason: str
    zh: str
    en: str
    holiday_name: str | None = None
    holiday_name_en: str | None = None
    next_open: datetime | None = None
    closes_at: datetime | None = None
    makeup_workday: bool = False
    calendar_known: bool = True


def calendar_years() -> tuple[int, int]:
    """First and last year chinesecalendar has holiday data for."""
    years = [d.year for d in chinese_calendar.holidays] + [
        d.year for d in chinese_calendar.workdays
    ]
    return min(years), max(years)


def holiday_detail(day: date) -> tuple[bool, str | None] | None:
    """chinesecalendar's (is_holiday, holiday key) for ``day``, or None if it lacks the year.

    ``is_holiday`` is True for weekends too; the key is set for statutory holidays and for the
    make-up working days that belong to them.
    """
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    key = None
    if name is not None:
        key = next((h.name for h in chinese_calendar.Holiday if h.value == name), str(name))
    return bool(is_holiday), key


def day_info(day: date, rules: HoursRules) -> DayInfo:
    """Classify a date (see the module docstring for the order of the rules)."""
    weekly = tuple(sorted(rules.weekly[day.weekday()]))
    if day in rules.extra_closed:
        return DayInfo((), "extra_closed")
    detail = holiday_detail(day) if rules.use_chinese_calendar else (False, None)
    known = detail is not None
    if day in rules.extra_working:
        return DayInfo(
            weekly or _sorted(rules.workday_periods), "extra_working", calendar_known=known
        )
    if detail is None and rules.use_chinese_calendar:
        fixed = FIXED_HOLIDAYS.get((day.month, day.day))
        if fixed is not None:
            return DayInfo((), "holiday", holiday=fixed, calendar_known=False)
    if detail is not None:
        is_holiday, key = detail
        if is_holiday and key is not None:
            return DayInfo((), "holiday", holiday=key)
        if not is_holiday and key is not None:
            return DayInfo(weekly or _sorted(rules.workday_periods), "makeup_workday", holiday=key)
    if weekly:
        return DayInfo(weekly, "workday", calendar_known=known)
    return DayInfo((), "weekend" if day.weekday() >= 5 else "closed_day", calendar_known=known)


def _sorted(periods: tuple[Period, ...]) -> tuple[Period, ...]:
    return tuple(sorted(periods))


def _holiday_names(key: str | None) -> tuple[str | None, str | None]:
    if key is None:
        return None, None
    en = next((h.value for h in chinese_calendar.Holiday if h.name == key), key)
    return HOLIDAY_ZH.get(key, en), en


def next_opening(after: datetime, rules: HoursRules) -> datetime | None:
    """The first opening time strictly after ``after`` (aware, same zone), within 60 days."""
    tz = after.tzinfo
    day = after.date()
    for offset in range(_SEARCH_DAYS + 1):
        d = day + timedelta(days=offset)
        for start, _end in day_info(d, rules).periods:
            candidate = datetime.combine(d, start, tzinfo=tz)
            if candidate > after:
                return candidate
    return None


def _fmt(moment: datetime | None, today: date) -> tuple[str, str]:
    if moment is None:
        return "", ""
    d = moment.date()
    wd = d.weekday()
    if d == today:
        return f"今天 {moment:%H:%M}", f"today {moment:%H:%M}"
    if d == today + timedelta(days=1):
        return f"明天 {moment:%H:%M}", f"tomorrow {moment:%H:%M}"
    return (
        f"{d.month}月{d.day}日（{_WEEKDAY_ZH[wd]}）{moment:%H:%M}",
        f"{_WEEKDAY_EN[wd]} {d.isoformat()} {moment:%H:%M}",
    )


def counter_status(at: datetime, rules: HoursRules, tz: str) -> CounterStatus:
    """Whether the counter is open at ``at``, why, and when it next opens.

    Args:
        at: an aware moment (any zone).
        rules: the opening rules.
        tz: the counter's IANA zone; hours are read in it.

    Raises:
        UsageError: ``at`` is naive (say which zone it is in), or the zone is unknown.
    """
    local = to_local(at, tz)
    today = local.date()
    info = day_info(today, rules)
    t = local.time().replace(tzinfo=None)
    zh_name, en_name = _holiday_names(info.holiday)
    makeup = info.reason == "makeup_workday"
    for start, end in info.periods:
        if start <= t < end:
            open_reason = {
                "makeup_workday": "makeup_workday_open",
                "extra_working": "extra_working_open",
            }
            closes = datetime.combine(today, end, tzinfo=local.tzinfo)
            zh = f"营业中，{end:%H:%M} 暂停受理"
            en = f"Open until {end:%H:%M}"
            if makeup:
                zh = f"调休上班（{zh_name}），{zh}"
                en = f"Make-up working day ({en_name}). {en}"
            return CounterStatus(
                True,
                open_reason.get(info.reason, "open"),
                zh,
                en,
                holiday_name=zh_name if makeup else None,
                holiday_name_en=en_name if makeup else None,
                closes_at=closes,
                makeup_workday=makeup,
                calendar_known=info.calendar_known,
            )
    nxt = next_opening(local, rules)
    known = info.calendar_known and (nxt is None or day_info(nxt.date(), rules).calendar_known)
    nzh, nen = _fmt(nxt, today)
    when_zh = f"，下次开放：{nzh}" if nxt else ""
    when_en = f"; opens {nen}" if nxt else ""
    if info.reason == "holiday":
        reason, zh, en = (
            "holiday",
            f"{zh_name}假期，暂停营业{when_zh}",
            f"Closed for the {en_name} holiday{when_en}",
        )
    elif info.reason == "extra_closed":
        reason, zh, en = "extra_closed", f"今日不营业{when_zh}", f"Closed today{when_en}"
    elif not info.periods:
        if info.reason == "weekend":
            reason, zh, en = "weekend", f"周末休息{when_zh}", f"Closed at the weekend{when_en}"
        else:
            reason, zh, en = "closed_day", f"今日不营业{when_zh}", f"Closed today{when_en}"
    elif t < info.periods[0][0]:
        reason, zh, en = "before_hours", f"尚未开始营业{when_zh}", f"Not open yet{when_en}"
    elif t >= info.periods[-1][1]:
        reason, zh, en = "after_hours", f"今日已结束营业{when_zh}", f"Closed for the day{when_en}"
    else:
        reason, zh, en = "lunch", f"午间休息{when_zh}", f"Lunch break{when_en}"
    return CounterStatus(
        False,
        reason,
        zh,
        en,
        holiday_name=zh_name,
        holiday_name_en=en_name,
        next_open=nxt,
        makeup_workday=makeup,
        calendar_known=known,
    )
