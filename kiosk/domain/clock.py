"""Time: stored in UTC, shown in the counter's zone (Asia/Shanghai).

Storage strings are ISO-8601 UTC with microseconds and a ``Z``
(``2026-11-21T23:42:28.123456Z``): fixed width, so they sort as text, and the same format the
store writes (``data/store.py``). People see local time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


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
