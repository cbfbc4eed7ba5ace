"""How the ID card screen looks: a read card (masked number) and a refused one."""

from __future__ import annotations

from textual.app import App
from textual.pilot import Pilot

from hardware.sim.person import load_person
from screens.idcard import CardFailed, CardRead, IdCardScreen, ReaderReady

SIZE = (100, 30)


class Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(IdCardScreen())


def test_card_read(snap_compare) -> None:
    async def show(pilot: Pilot) -> None:
        screen = pilot.app.screen
        screen.post_message(ReaderReady("Virtual PCD 00 00"))
        screen.post_message(CardRead(load_person("wang_yan_rare_char")))
        await pilot.pause()

    assert snap_compare(Host(), terminal_size=SIZE, run_before=show)


def test_expired_card(snap_compare) -> None:
    async def show(pilot: Pilot) -> None:
        screen = pilot.app.screen
        screen.post_message(ReaderReady("Virtual PCD 00 00"))
        screen.post_message(CardFailed("idcard.expired", "This ID card expired on 2025-08-10."))
        await pilot.pause()

    assert snap_compare(Host(), terminal_size=SIZE, run_before=show)
