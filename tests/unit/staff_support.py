"""Helpers shared by the staff, audit, override and day-close tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.staff.roster import StaffPolicy

# Real argon2id, cheaper parameters so the suite stays fast; the cost is configuration.
FAST_POLICY = StaffPolicy(hash_time_cost=1, hash_memory_kib=1024, session_timeout_s=300)


class FakeClock:
    """A settable UTC clock for lockout and session expiry."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 21, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
