"""How the welcome screen looks at the kiosk's real size (120 x 36), in both languages.

The status is a fixed source and the clock is frozen, so the pictures change only when the
screen does. Update after an intended change: ``pytest tests/functional --snapshot-update``,
then look at the SVGs before committing them.
"""

from __future__ import annotations

from textual.pilot import Pilot

from tests.functional.support import wait_for

SIZE = (120, 36)


async def _status_shown(pilot: Pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.status is not None)
    await pilot.pause()


async def _english(pilot: Pilot) -> None:
    await _status_shown(pilot)
    await pilot.press("f2")
    await pilot.pause()


def test_welcome_screen_in_chinese(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_status_shown)


def test_welcome_screen_in_english(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_english)
