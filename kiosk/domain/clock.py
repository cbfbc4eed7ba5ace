"""Time: stored in UTC, shown in the counter's zone (Asia/Shanghai).

Storage strings are ISO-8601 UTC with microseconds and a ``Z``
(``2026-11-21T23:42:28.123456Z``): fixed width, so they sort as text, and the same format the
store writes (``data/store.py``). People see local time.

"Now" comes from one port, :class:`Clock`: code that needs the time takes a clock (a
constructor argument defaulting to :data:`SYSTEM_CLOCK` where the composition does not pass one
yet), so a test sets the time with :class:`SettableClock` instead of rewriting dates to fit
today.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.errors import UsageError

COUNTER_TZ = "Asia/Shanghai"
_STORAGE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def zone(name: str = COUNTER_TZ) -> ZoneInfo:
    """The IANA zone ``name``, or a UsageError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r}", code="clock.zone") from None


@runtime_checkable
class Clock(Protocol):
    """Where "now" comes from."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


#: The one system clock every default points at.
SYSTEM_CLOCK: Clock = SystemClock()


class SettableClock:
    """A clock that says what it is told (tests, the training rig, replays).

    Args:
        at: the time it starts at; aware (naive times are refused).
    """

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at).astimezone(UTC)

    def now(self) -> datetime:
        """The time it was set to, in UTC."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move to ``at`` (aware)."""
        self._at = _aware(at).astimezone(UTC)

    def advance(self, delta: timedelta | float) -> None:
        """Move forward (or back, with a negative delta) by a timedelta or seconds."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self._at = self._at + step

    def __repr__(self) -> str:
        return f"SettableClock({self._at.isoformat()})"


class ShiftedClock:
    """Another clock moved by a fixed offset: it keeps running ("a year and a day later").

    Args:
        base: the clock to follow.
        by: how far ahead (negative: behind).
    """

    def __init__(self, base: Clock, by: timedelta) -> None:
        self.base = base
        self.by = by

    def now(self) -> datetime:
        """The base clock's time plus the offset, in UTC."""
        return self.base.now() + self.by

    def __repr__(self) -> str:
        return f"ShiftedClock({self.base!r}, {self.by})"


def utc_now(clock: Clock = SYSTEM_CLOCK) -> datetime:
    """The current time, aware, in UTC (of ``clock``, default the system's)."""
    return clock.now()


def storage_now(clock: Clock = SYSTEM_CLOCK) -> str:
    """The current time as the storage string (UTC, ``Z``)."""
    return to_storage(clock.now())


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise UsageError(
            f"time {moment.isoformat()} has no zone; say which (e.g. +08:00)", code="clock.naive"
        )
    return moment


def to_storage(moment: datetime) -> str:
    """An aware time as the storage string (UTC, ``Z``)."""
    return _aware(moment).astimezone(UTC).strftime(_STORAGE_FORMAT)


def from_storage(text: str) -> datetime:
    """A storage string (or any ISO-8601 time with a zone) as an aware UTC datetime.

    Raises:
        UsageError: not a time, or a time without a zone.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not an ISO-8601 time", code="clock.format") from None
    return _aware(moment).astimezone(UTC)


def to_local(moment: datetime, tz: str = COUNTER_TZ) -> datetime:
    """An aware time in the counter's zone."""
    return _aware(moment).astimezone(zone(tz))


def assume_local(moment: datetime, tz: str = COUNTER_TZ) -> datetime:
    """A naive time read as the counter's local time; aware times pass unchanged."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone(tz))
    return moment


def local_today(moment: datetime, tz: str = COUNTER_TZ) -> date:
    """The counter's calendar date at ``moment`` (what "today" means for validity and refunds)."""
    return to_local(moment, tz).date()


def format_local(moment: datetime, tz: str = COUNTER_TZ, *, seconds: bool = False) -> str:
    """Local time for people: ``2026-11-22 07:42`` (with ``:SS`` when ``seconds``)."""
    return to_local(moment, tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
