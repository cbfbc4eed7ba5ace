"""Validity of a renewed certificate (kept here until ``kiosk.domain.validity`` lands on main).

DOMAIN.md: the kiosk extends from the later of today and the old expiry, so no paid day is lost.
"""

from __future__ import annotations

import datetime as dt


def add_years(t: dt.datetime, years: int) -> dt.datetime:
    """``t`` plus whole years; 29 February falls back to 28 February."""
    try:
        return t.replace(year=t.year + years)
    except ValueError:
        return t.replace(year=t.year + years, day=28)


def renewal_not_after(old_not_after: dt.datetime, years: int, now: dt.datetime) -> dt.datetime:
    """The new notAfter of a renewal by ``years`` (1 to 5).

    Raises:
        ValueError: years outside 1..5.
    """
    if not 1 <= years <= 5:
        raise ValueError("validity is 1 to 5 whole years")
    return add_years(max(old_not_after, now), years)
