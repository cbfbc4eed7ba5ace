"""Sample people whose cards are valid on the day the tests run.

The shipped sample cards (hardware/sim/people) carry fixed validity periods; some end soon
(金美善 2027-09-12, 梁家豪's permit 2028-07-10). A test that reads and *validates* a card against
today's real date (a `kiosk` process, where no clock can be injected) uses a copy whose period is
relative to today instead; a test in this process fixes the date rather (``TODAY``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hardware.idcard.validation import today_in_shanghai
from hardware.sim.person import PEOPLE_DIR

#: The date in-process tests validate cards on (inside every sample card's period but the
#: expired one's).
TODAY = dt.date(2026, 11, 21)


def valid_now(dest: Path, name: str, *, years: int = 10) -> Path:
    """A copy of sample person ``name`` in ``dest`` (same file name), valid from a year ago to
    ``years`` years on, counted from today at the counter (Asia/Shanghai)."""
    data = json.loads((PEOPLE_DIR / f"{name}.json").read_text(encoding="utf-8"))
    today = today_in_shanghai()
    data["valid_from"] = (today - dt.timedelta(days=365)).isoformat()
    data["valid_to"] = (today + dt.timedelta(days=365 * years)).isoformat()
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
