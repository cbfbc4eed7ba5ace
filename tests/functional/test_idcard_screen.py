"""The ID card screen driven by the real stand-ins: insertion and removal reach it as messages."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from hardware.idcard.pcsc import PcscReader
from hardware.idcard.sam import SamReader
from hardware.sim.person import load_card
from hardware.sim.sam import SimulatedSam
from kiosk.idcard_bridge import IdCardBridge, ManualEntry
from screens.idcard import AgentIdentified, IdCardScreen, ManualEntryScreen
from tests.idcard_fixtures import InsertCard

TODAY = dt.date(2026, 11, 21)


class Host(App[None]):
    """A bare app hosting the screen, as the kiosk's shell does."""

    def __init__(self, manual: ManualEntry | None = None) -> None:
        super().__init__()
        self.screen_under_test = IdCardScreen(manual)
        self.identified: list[AgentIdentified] = []

    def on_mount(self) -> None:
        self.push_screen(self.screen_under_test)

    def on_agent_identified(self, message: AgentIdentified) -> None:
        self.identified.append(message)


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a condition with a deadline (the screen updates on messages, not on time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within the deadline")
        await pilot.pause(0.02)


def text(screen: IdCardScreen, widget_id: str) -> str:
    return str(screen.query_one(widget_id, Static).render())


@pytest.mark.needs_pcscd
async def test_card_placed_read_and_removed_reach_the_screen(
    insert_card: InsertCard, pcscd
) -> None:
    app = Host()
    async with app.run_test(size=(100, 36)) as pilot:
        screen = app.screen_under_test
        bridge = IdCardBridge(
            PcscReader("^Virtual PCD 00 00$"), screen.post_message, today=lambda: TODAY, poll=0.2
        )
        bridge.start()
        try:
            await until(pilot, lambda: screen.state == "ready")
            assert "读卡器就绪" in text(screen, "#idcard-reader")
            assert "请将身份证放在读卡区" in text(screen, "#idcard-title")

            card = insert_card("zhang_wei")
            await until(pilot, lambda: screen.state == "read")
            result = text(screen, "#idcard-result")
            assert "张伟" in result
            assert "441900********231X" in result
            assert "44190019880615231X" not in result
            assert "2019.03.01 - 2039.03.01" in result

            await pilot.click("#idcard-confirm")
            await until(pilot, lambda: len(app.identified) == 1)
            assert app.identified[0].source == "card"
            assert app.identified[0].holder.id_number == "44190019880615231X"

            card.remove()
            await until(pilot, lambda: "身份证已移开" in text(screen, "#idcard-reader"))

            insert_card("huang_zhiqiang_expired")
            await until(pilot, lambda: screen.state == "failed")
            assert screen.error_code == "idcard.expired"
            assert "身份证已过有效期" in text(screen, "#idcard-error")
            assert text(screen, "#idcard-result") == ""
            assert screen.query_one("#idcard-confirm", Button).disabled
        finally:
            bridge.stop()


@pytest.mark.needs_pcscd
async def test_no_reader_is_shown_with_the_next_step(pcscd) -> None:
    app = Host()
    async with app.run_test(size=(100, 36)) as pilot:
        screen = app.screen_under_test
        bridge = IdCardBridge(PcscReader("^No Such Reader$"), screen.post_message, retry=0.2)
        bridge.start()
        try:
            await until(pilot, lambda: screen.state == "unavailable")
            assert screen.error_code == "idcard.no_reader"
            assert "未连接身份证读卡器" in text(screen, "#idcard-error")
            assert "请联系工作人员" in text(screen, "#idcard-error")
        finally:
            bridge.stop()


async def test_sam_reader_events_reach_the_screen() -> None:
    app = Host()
    with SimulatedSam() as sam:
        async with app.run_test(size=(100, 36)) as pilot:
            screen = app.screen_under_test
            reader = SamReader(sam.path, poll=0.02)
            bridge = IdCardBridge(reader, screen.post_message, today=lambda: TODAY, poll=0.1)
            bridge.start()
            try:
                await until(pilot, lambda: screen.state == "ready")
                sam.place(load_card("chen_guiying_long_term"))
                await until(pilot, lambda: screen.state == "read")
                assert "2012.04.20 - 长期" in text(screen, "#idcard-result")
                sam.take_away()
                await until(pilot, lambda: "身份证已移开" in text(screen, "#idcard-reader"))
            finally:
                bridge.stop()


async def test_staff_manual_entry_uses_the_card_rules() -> None:
    app = Host(ManualEntry(today=lambda: TODAY))
    async with app.run_test(size=(120, 50)) as pilot:
        screen = app.screen_under_test
        manual_button = screen.query_one("#idcard-manual", Button)
        assert manual_button.disabled  # staff not signed in
        screen.staff_mode = True
        await pilot.pause()
        assert not manual_button.disabled
        await pilot.click("#idcard-manual")
        await until(pilot, lambda: isinstance(app.screen, ManualEntryScreen))
        form = app.screen
        form.query_one("#manual-name", Input).value = "陈桂英"
        form.query_one("#manual-id", Input).value = "441900195802110021"  # wrong check character
        form.query_one("#manual-sex", Select).value = "2"
        form.query_one("#manual-nation", Select).value = "08"
        form.query_one("#manual-from", Input).value = "2012-04-20"
        form.query_one("#manual-to", Input).value = "长期"
        await pilot.click("#manual-save")
        assert form.error_code == "idcard.bad_check_char"
        assert "校验位" in str(form.query_one("#manual-error", Static).render())

        form.query_one("#manual-id", Input).value = "441900195802110020"
        save = form.query_one("#manual-save", Button)
        await until(pilot, lambda: not save.has_class("-active"))  # a button ignores re-presses
        await pilot.click("#manual-save")
        await until(pilot, lambda: len(app.identified) == 1)
        assert app.identified[0].source == "manual"
        assert app.screen is screen
        assert "441900********0020" in text(screen, "#idcard-result")
