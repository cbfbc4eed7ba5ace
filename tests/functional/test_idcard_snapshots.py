"""How the ID card screen looks at the kiosk's size: a read card (masked) and a refused one."""

from __future__ import annotations

from textual.pilot import Pilot

from hardware.sim.person import load_person
from screens.idcard import CardFailed, CardRead, IdCardScreen, ReaderReady

SIZE = (120, 36)


def test_card_read(snap_compare, make_app) -> None:
    async def show(pilot: Pilot) -> None:
        screen = IdCardScreen()
        await pilot.app.push_screen(screen)
        screen.post_message(ReaderReady("Virtual PCD 00 00"))
        screen.post_message(CardRead(load_person("wang_yan_rare_char")))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=show)


def test_expired_card(snap_compare, make_app) -> None:
    async def show(pilot: Pilot) -> None:
        screen = IdCardScreen()
        await pilot.app.push_screen(screen)
        screen.post_message(ReaderReady("Virtual PCD 00 00"))
        screen.post_message(CardFailed("idcard.expired", "This ID card expired on 2025-08-10."))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=show)
