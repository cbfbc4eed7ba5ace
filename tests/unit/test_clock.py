"""UTC storage strings and Asia/Shanghai display."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain.clock import (
    assume_local,
    format_local,
    from_storage,
    local_today,
    to_local,
    to_storage,
)
from kiosk.errors import UsageError

MOMENT = datetime(2026, 11, 21, 23, 42, 28, 123456, tzinfo=UTC)


def test_storage_string_is_utc_with_z_and_round_trips() -> None:
    text = to_storage(MOMENT.astimezone(ZoneInfo("Asia/Shanghai")))
    assert text == "2026-11-21T23:42:28.123456Z"
    assert from_storage(text) == MOMENT


def test_storage_strings_sort_like_the_moments() -> None:
    early = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert to_storage(early) < to_storage(MOMENT)


def test_people_see_shanghai_time_and_date() -> None:
    assert format_local(MOMENT) == "2026-11-22 07:42"
    assert local_today(MOMENT) == date(2026, 11, 22)
    assert to_local(MOMENT).utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_naive_times_are_refused_for_storage() -> None:
    with pytest.raises(UsageError):
        to_storage(datetime(2026, 1, 1))
    with pytest.raises(UsageError):
        from_storage("2026-01-01T00:00:00")


def test_garbage_is_refused() -> None:
    with pytest.raises(UsageError):
        from_storage("yesterday")


def test_assume_local_reads_naive_as_counter_time() -> None:
    moment = assume_local(datetime(2026, 10, 1, 10, 0))
    assert to_storage(moment) == "2026-10-01T02:00:00.000000Z"
