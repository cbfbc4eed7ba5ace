"""The ID card screen in the kiosk app, driven by the real stand-ins: insertion and removal reach
it as messages; the checklist leads to it; staff manual entry uses the card's rules."""

from __future__ import annotations

import datetime as dt

import pytest

from hardware.idcard.pcsc import PcscReader
from hardware.idcard.sam import SamReader
from hardware.sim.person import load_card
from hardware.sim.sam import SimulatedSam
from kiosk.shell.idcard_bridge import IdCardDevice, ManualEntry
from screens.checklist import ChecklistScreen
from screens.idcard import IdCardScreen, ManualEntryScreen
from screens.widgets.text import LangButton, LangText
from tests.functional.support import wait_for
from tests.idcard_fixtures import InsertCard

SIZE = (120, 36)
TODAY = dt.date(2026, 11, 21)


def shown(screen: IdCardScreen, widget_id: str) -> str:
    return screen.query_one(widget_id, LangText).shown


@pytest.mark.needs_pcscd
async def test_card_placed_read_and_removed_reach_the_screen(
    make_app, insert_card: InsertCard, pcscd
) -> None:
    app = make_app()
    device = IdCardDevice(lambda: PcscReader("^Virtual PCD 00 00$"), today=lambda: TODAY, poll=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = IdCardScreen(device)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.state == "ready", 10)
        assert shown(screen, "#heading") == "请将身份证放在读卡区"
        assert "读卡器就绪" in shown(screen, "#idcard-reader")

        card = insert_card("zhang_wei")
        await wait_for(pilot, lambda: screen.state == "read", 10)
        result = shown(screen, "#idcard-result")
        assert "张伟" in result
        assert "441900********231X" in result
        assert "44190019880615231X" not in result
        assert "2019.03.01 - 2039.03.01" in result

        await pilot.press("f2")  # English
        await wait_for(
            pilot, lambda: "ID number  441900********231X" in shown(screen, "#idcard-result")
        )
        await pilot.press("f2")

        await pilot.click("#idcard-confirm")
        await wait_for(pilot, lambda: app.agent is not None)
        assert app.agent_source == "card" and app.agent.id_number == "44190019880615231X"

        card.remove()
        await wait_for(pilot, lambda: "身份证已移开" in shown(screen, "#idcard-reader"), 10)

        insert_card("huang_zhiqiang_expired")
        await wait_for(pilot, lambda: screen.state == "failed", 10)
        assert screen.error_code == "idcard.expired"
        assert "身份证已过有效期" in shown(screen, "#idcard-error")
        assert shown(screen, "#idcard-result") == ""
        assert screen.query_one("#idcard-confirm", LangButton).disabled

        app.go_home()  # the screen goes: its monitor stops, the visit's agent is cleared
        await wait_for(pilot, lambda: device._bridge is None)
        assert app.agent is None


@pytest.mark.needs_pcscd
async def test_no_reader_is_shown_with_the_next_step(make_app, pcscd) -> None:
    app = make_app()
    device = IdCardDevice(lambda: PcscReader("^No Such Reader$"), retry=0.2)
    async with app.run_test(size=SIZE) as pilot:
        screen = IdCardScreen(device)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: screen.state == "unavailable", 10)
        assert screen.error_code == "idcard.no_reader"
        assert shown(screen, "#idcard-error") == "未连接身份证读卡器。请联系工作人员。"
        app.go_home()


async def test_sam_reader_events_reach_the_screen(make_app) -> None:
    app = make_app()
    with SimulatedSam() as sam:
        device = IdCardDevice(lambda: SamReader(sam.path, poll=0.02), today=lambda: TODAY, poll=0.1)
        async with app.run_test(size=SIZE) as pilot:
            screen = IdCardScreen(device)
            await app.push_screen(screen)
            await wait_for(pilot, lambda: screen.state == "ready", 10)
            sam.place(load_card("chen_guiying_long_term"))
            await wait_for(pilot, lambda: screen.state == "read", 10)
            assert "2012.04.20 - 长期" in shown(screen, "#idcard-result")
            sam.take_away()
            await wait_for(pilot, lambda: "身份证已移开" in shown(screen, "#idcard-reader"), 10)
            app.go_home()


async def test_the_checklist_leads_to_the_id_card_screen(make_app) -> None:
    app = make_app(checklist=lambda *a: [])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # 新申请
        await wait_for(pilot, lambda: app.screen.name == "program")
        await pilot.click("#program-gd-procurement")
        await wait_for(pilot, lambda: app.screen.name == "kind")
        await pilot.click("#kind-org")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistScreen))
        await pilot.click("#identify")
        await wait_for(pilot, lambda: isinstance(app.screen, IdCardScreen))
        assert app.screen.query_one("#heading", LangText).shown == "请将身份证放在读卡区"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistScreen))


async def test_staff_manual_entry_uses_the_card_rules(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = IdCardScreen(None, ManualEntry(today=lambda: TODAY))
        await app.push_screen(screen)
        manual_button = screen.query_one("#idcard-manual", LangButton)
        assert manual_button.disabled  # staff not signed in
        screen.staff_mode = True
        await pilot.pause()
        assert not manual_button.disabled
        await pilot.click("#idcard-manual")
        await wait_for(pilot, lambda: isinstance(app.screen, ManualEntryScreen))
        form = app.screen
        values = {
            "#manual-name": "陈桂英",
            "#manual-id": "441900195802110021",  # wrong check character
            "#manual-from": "2012-04-20",
            "#manual-to": "长期",
        }
        from textual.widgets import Input, Select

        for selector, value in values.items():
            form.query_one(selector, Input).value = value
        form.query_one("#manual-sex", Select).value = "2"
        form.query_one("#manual-nation", Select).value = "08"
        await pilot.click("#manual-save")
        await wait_for(pilot, lambda: form.error_code == "idcard.bad_check_char")
        assert "校验位" in form.query_one("#manual-error", LangText).shown

        form.query_one("#manual-id", Input).value = "441900195802110020"
        save = form.query_one("#manual-save", LangButton)
        await wait_for(pilot, lambda: not save.has_class("-active"))  # a button ignores re-presses
        await pilot.click("#manual-save")
        await wait_for(pilot, lambda: app.agent is not None)
        assert app.agent_source == "manual"
        assert app.screen is screen
        assert "441900********0020" in shown(screen, "#idcard-result")
