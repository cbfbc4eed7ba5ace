"""The screen shell as an applicant and a clerk use it: Pilot at the kiosk's screen size."""

from __future__ import annotations

from textual.widgets import Button, Checkbox, Input

from kiosk.domain.types import Kind, Program, Service
from kiosk.errors import DomainError
from kiosk.shell.app import KioskApp
from kiosk.status import DeviceState
from screens.checklist import ChecklistScreen, MaterialItem
from screens.kind import KindScreen
from screens.program import ProgramScreen
from screens.staff import StaffSignInScreen
from screens.welcome import WelcomeScreen
from screens.widgets.text import LangText
from screens.widgets.tile import ChoiceTile
from tests.functional.support import wait_for

SIZE = (120, 36)


def text_of(app: KioskApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def tile_ids(app: KioskApp) -> list[str]:
    return [t.id or "" for t in app.screen.query(ChoiceTile)]


async def goto(pilot, app: KioskApp, selector: str, screen_type: type) -> None:
    await pilot.click(selector)
    await wait_for(pilot, lambda: isinstance(app.screen, screen_type))


async def test_welcome_offers_one_tile_per_service_in_chinese(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        assert tile_ids(app) == [f"service-{s.value}" for s in Service]
        assert "请选择要办理的业务" in text_of(app, "#heading")
        first = app.screen.query_one("#service-new", ChoiceTile)
        assert app.focused is first
        shown = str(first.render())
        # The screen's language first, the other beneath.
        assert shown.index("新申请") < shown.index("New certificate")
        await pilot.pause()


async def test_walk_from_welcome_to_checklist_and_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # 新申请 has the focus
        await wait_for(pilot, lambda: isinstance(app.screen, ProgramScreen))
        assert app.screen.service is Service.NEW
        await goto(pilot, app, "#program-gd-procurement", KindScreen)
        assert tile_ids(app) == ["kind-org", "kind-legal-rep", "kind-individual"]
        await goto(pilot, app, "#kind-legal-rep", ChecklistScreen)
        screen = app.screen
        assert (screen.service, screen.kind, screen.program.id) == (
            Service.NEW,
            Kind.LEGAL_REP,
            "gd-procurement",
        )
        items = [str(m.render()) for m in screen.query(MaterialItem)]
        assert items, "the checklist shows the counter's materials"
        assert any("身份证" in i for i in items)
        assert items[0].startswith(" 1. ")
        # A long list scrolls with the keys while the buttons keep the focus.
        scroller = screen.query_one("#materials")
        assert scroller.max_scroll_y > 0
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: scroller.scroll_y > 0)
        assert app.focused is screen.query_one("#home")

        for expected in (KindScreen, ProgramScreen, WelcomeScreen):
            await pilot.press("escape")
            await wait_for(pilot, lambda e=expected: isinstance(app.screen, e))
        await pilot.press("escape")  # nowhere further back than the start
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen) and len(app.screen_stack) == 1


async def test_start_over_returns_to_welcome(make_app) -> None:
    app = make_app(checklist=lambda *a: [])
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "#service-unlock", ProgramScreen)
        await goto(pilot, app, "#program-dongguan-hpf", KindScreen)
        await goto(pilot, app, "#kind-org", ChecklistScreen)
        assert "无需额外材料" in text_of(app, ".notice")
        await pilot.click("#home")
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert len(app.screen_stack) == 1


async def test_going_home_twice_at_once_is_harmless(make_app) -> None:
    # The idle check can fire again while the previous clear is still unmounting screens.
    app = make_app(checklist=lambda *a: [])
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "#service-unlock", ProgramScreen)
        await goto(pilot, app, "#program-dongguan-hpf", KindScreen)
        app.go_home()
        app.go_home()
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        await pilot.pause()
        assert len(app.screen_stack) == 1 and app.is_running


async def test_arrow_keys_move_through_the_tiles(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "right", "down")
        assert app.focused is app.screen.query_one("#service-seal")
        await pilot.press("left", "up", "up")
        assert app.focused is app.screen.query_one("#service-renew")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ProgramScreen))
        assert app.screen.service is Service.RENEW


async def test_only_programs_offering_the_service_are_shown(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        # 密钥恢复: 平安采购 and 佛山一证通 do not offer it.
        await goto(pilot, app, "#service-key-recovery", ProgramScreen)
        assert tile_ids(app) == ["program-dongguan-hpf", "program-gd-procurement"]


async def test_only_the_programs_kinds_are_offered(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "#service-new", ProgramScreen)
        await goto(pilot, app, "#program-dongguan-hpf", KindScreen)
        assert tile_ids(app) == ["kind-org"]


async def test_a_service_no_program_offers_says_so(make_app, settings) -> None:
    only_pickup = settings.model_copy(
        update={
            "programs": [
                settings.programs[0].model_copy(update={"services": [Service.PICKUP]}),
            ]
        }
    )
    app = make_app(settings_=only_pickup)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "#service-new", ProgramScreen)
        assert tile_ids(app) == []
        assert "暂不为任何项目办理此业务" in text_of(app, "#none")
        assert app.focused is app.screen.query_one("#back", Button)


async def test_the_seal_choice_reaches_the_materials_rule(make_app) -> None:
    calls: list[tuple[Service, Kind, str, bool]] = []

    def recording(service: Service, kind: Kind, program: Program, seal: bool) -> list:
        calls.append((service, kind, program.id, seal))
        return []

    app = make_app(checklist=recording)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "#service-new", ProgramScreen)
        await goto(pilot, app, "#program-dongguan-hpf", KindScreen)
        seal = app.screen.query_one("#seal", Checkbox)
        assert seal.value is True and "同时办理电子印章" in str(seal.label)
        await pilot.click("#seal")
        await wait_for(pilot, lambda: seal.value is False)
        await goto(pilot, app, "#kind-org", ChecklistScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, KindScreen))
        await pilot.click("#seal")
        await goto(pilot, app, "#kind-org", ChecklistScreen)
        assert "含电子印章" in text_of(app, "#subject")
    assert calls == [
        (Service.NEW, Kind.ORG, "dongguan-hpf", False),
        (Service.NEW, Kind.ORG, "dongguan-hpf", True),
    ]


async def test_no_seal_question_where_the_program_has_no_seal(make_app) -> None:
    app = make_app(checklist=lambda *a: [])
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "#service-new", ProgramScreen)
        await goto(pilot, app, "#program-foshan-yzt", KindScreen)
        assert not app.screen.query("#seal")


async def test_a_refused_checklist_is_said_not_shown_empty(make_app) -> None:
    def refuse(*_a) -> list:
        raise DomainError("no such combination", code="materials.refused")

    app = make_app(checklist=refuse)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "#service-renew", ProgramScreen)
        await goto(pilot, app, "#program-dongguan-hpf", KindScreen)
        await goto(pilot, app, "#kind-org", ChecklistScreen)
        assert not app.screen.query(MaterialItem)
        assert "材料清单暂时无法显示" in text_of(app, ".notice")


async def test_f2_switches_every_text_to_english_and_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.status is not None)
        await pilot.press("f2")
        assert app.language == "en"
        assert text_of(app, "#heading") == "Please choose a service"
        assert text_of(app, "#header-title") == "Digital certificate self-service"
        tile = str(app.screen.query_one("#service-new").render())
        assert tile.index("New certificate") < tile.index("新申请")
        assert "Printer  fault" in text_of(app, "#status-printer")
        assert [str(h.render()) for h in app.screen.query(".key-hint")] == [
            "F2 中文",
            "F12 Staff",
            "F3 Large text",
        ]
        # Screens opened after the switch speak English too.
        await goto(pilot, app, "#service-new", ProgramScreen)
        assert text_of(app, "#heading") == "Which program is the certificate for?"
        await pilot.press("f2")
        assert app.language == "zh-CN"
        assert text_of(app, "#heading") == "请选择证书用于哪个项目（平台）"
        assert str(app.screen.query_one("#back", Button).label) == "返回"


async def test_every_visible_label_follows_the_language(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        for label in app.screen.query(LangText):
            assert label.shown == str(label.render())


async def test_the_applicant_cannot_quit_or_open_the_command_palette(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q", "ctrl+c", "ctrl+p", "ctrl+backslash")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, WelcomeScreen) and len(app.screen_stack) == 1


async def test_idle_visit_returns_to_welcome_in_the_default_language(make_app) -> None:
    # Keys, not clicks: Pilot hands mouse events straight to the screen, past the app, while a
    # real terminal's input (keys and touches alike) reaches the app first.
    # 3 s: long enough that a loaded 2-core machine reaches the kind screen before it fires.
    app = make_app(idle_timeout_s=3.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "enter")  # 续期
        await wait_for(pilot, lambda: isinstance(app.screen, ProgramScreen))
        await pilot.press("enter", "f2")
        await wait_for(pilot, lambda: isinstance(app.screen, KindScreen))
        assert app.language == "en"
        await wait_for(
            pilot, lambda: len(app.screen_stack) == 1 and app.language == "zh-CN", timeout=15
        )
        assert isinstance(app.screen, WelcomeScreen)
        assert text_of(app, "#heading") == "请选择要办理的业务"
        # The next applicant starts from the first tile, not where the last one was.
        await pilot.pause()
        assert app.focused is app.screen.query_one("#service-new")


async def test_key_presses_keep_a_visit_open(make_app) -> None:
    # Generous margins: only a gap of 2 s between two presses (a stalled machine) could fail it.
    app = make_app(idle_timeout_s=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ProgramScreen))
        for _ in range(10):  # 10 x 0.25 s: longer than the timeout, never idle for that long
            await pilot.press("right")
            await pilot.pause(0.25)
            assert isinstance(app.screen, ProgramScreen)
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), timeout=10)


async def test_the_configured_idle_timeout_is_used(make_app) -> None:
    app = make_app()
    assert app.idle_timeout_s == 180  # kiosk.toml's ui.idle_timeout_s


async def test_f12_opens_the_staff_sign_in_which_without_a_staff_area_accepts_nobody(
    make_app,
) -> None:
    app = make_app(training=False)
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, app, "#service-new", ProgramScreen)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffSignInScreen))
        await pilot.press("f12")  # not stacked twice
        await pilot.pause()
        assert sum(isinstance(s, StaffSignInScreen) for s in app.screen_stack) == 1
        assert app.focused is app.screen.query_one("#staff-number", Input)
        assert app.screen.query_one("#staff-pin", Input).password
        assert app.screen.query_one("#sign-in", Button).disabled
        assert "未配置" in text_of(app, "#staff-message")
        assert not app.screen.query("#quit-training")  # no way out outside training mode
        await pilot.press("ctrl+q")
        assert app.is_running
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ProgramScreen))


async def test_training_mode_can_be_ended_from_the_staff_screen(make_app) -> None:
    app = make_app(training=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffSignInScreen))
        await pilot.click("#quit-training")
        await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 0


async def test_status_bar_shows_each_device_the_hub_and_the_counter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.status is not None)
        await pilot.pause()
        bar = {
            cell.id: (str(cell.render()), cell.classes) for cell in app.screen.query(".status-cell")
        }
        assert bar["status-reader"][0].startswith("读卡器  就绪")
        assert "-ready" in bar["status-reader"][1]
        assert bar["status-token"][0].startswith("介质  未连接\n未插入介质")
        assert "-missing" in bar["status-token"][1]
        assert bar["status-printer"][0].startswith("打印机  故障\n打印机缺纸")
        assert "-fault" in bar["status-printer"][1]
        assert bar["status-hub"][0].startswith("后台  离线 · 待上传 3")
        assert bar["status-counter"][0].startswith("柜台  营业中")
        assert bar["status-clock"][0].startswith("2026-11-23 10:00")  # Asia/Shanghai
        assert "培训模式" in bar["status-clock"][0]


async def test_status_is_polled_off_the_event_loop_and_shown_on_every_screen(make_app) -> None:
    import threading

    from tests.functional.support import SAMPLE_STATUS

    threads: list[str] = []

    class Recording:
        def poll(self):
            threads.append(threading.current_thread().name)
            return SAMPLE_STATUS

    app = make_app(status=Recording())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.status is not None)
        assert threads and threading.main_thread().name not in threads
        await goto(pilot, app, "#service-new", ProgramScreen)
        await pilot.pause()
        assert "故障" in text_of(app, "#status-printer")
        assert app.status.devices[3].state is DeviceState.FAULT
