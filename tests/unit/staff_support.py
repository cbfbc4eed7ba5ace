"""Helpers shared by the staff, audit, override and day-close tests."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.domain.clock import SettableClock
from kiosk.staff.roster import StaffPolicy

# Real argon2id, cheaper parameters so the suite stays fast; the cost is configuration.
FAST_POLICY = StaffPolicy(hash_time_cost=1, hash_memory_kib=1024, session_timeout_s=300)


class FakeClock(SettableClock):
    """A settable UTC clock for lockout and session expiry (``advance`` takes seconds)."""

    def __init__(self, start: datetime | None = None):
        super().__init__(start or datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
