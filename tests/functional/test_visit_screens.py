"""Visits on screen through the Pilot, in training mode on the real stand-ins.

The app is the one ``kiosk --training`` runs (``build_services``): the rig starts a private
pcscd with vpcd, SoftHSM2 keys, the loopback hub and the printer stand-in; the simulator panel
places the virtual ID card; every step goes through the flow engine (kiosk.visits) exactly as a
headless ``kiosk visit run`` would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from hardware.sim.escpos_decode import decode
from hardware.sim.pcscd import PcscdProcess
from kiosk.shell.app import KioskApp
from kiosk.shell.cli import CliContext
from kiosk.shell.services import Services, build_services
from kiosk.sync.service import StatusReader
from screens.seal import SealScreen
from screens.simulator import SimulatorScreen
from screens.visit import VisitProgress, VisitScreen
from screens.widgets.text import LangText

SIZE = (120, 36)
STAFF_NO, STAFF_PIN = "1001", "123456"  # training roster (kiosk.shell.staff_desk)
USCC = "91441900MA00000010"
ADDRESS = "东莞市南城街道元美路8号"  # the form asks for the unit's registered address


async def until(pilot: Pilot, cond: Callable[[], bool], what: str, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if cond():
            return
        await pilot.pause(0.05)
    scr = pilot.app.screen
    extra = ""
    if isinstance(scr, VisitScreen):
        extra = f" busy={scr.busy} visit={scr.visit} workers={list(pilot.app.workers)}"
    raise AssertionError(f"{what}: not within {deadline} s; screen {scr!r}{extra}")


@pytest.fixture(scope="module")
def training(
    tmp_path_factory: pytest.TempPathFactory, pcscd: PcscdProcess
) -> Iterator[tuple[CliContext, Services]]:
    # One rig per module, on the session's private pcscd: the PC/SC client library reads its
    # daemon's socket name once per process (tests/idcard_fixtures.py fixes it for the session).
    ctx = CliContext(data_dir=tmp_path_factory.mktemp("visits") / "data", training=True)
    services = build_services(ctx)
    services.training_rig.use_pcscd(pcscd)
    try:
        yield ctx, services
    finally:
        services.close()


@pytest.fixture
def training_app(training: tuple[CliContext, Services]) -> KioskApp:
    ctx, services = training
    return KioskApp(ctx.settings(), services)


def last_pin(jobs: list[bytes]) -> str:
    """The PIN on the last PIN slip the printer stand-in captured (the line after the key's)."""
    for job in reversed(jobs):
        lines = [ln.strip() for ln in decode(job).lines]
        if not any("INITIAL PIN" in ln for ln in lines):
            continue
        at = next(i for i, ln in enumerate(lines) if "介质 Key" in ln)
        return next(ln for ln in lines[at + 1 :] if ln)
    raise AssertionError("no PIN slip printed")


def visit(app: KioskApp) -> VisitScreen:
    screen = app.screen
    assert isinstance(screen, VisitScreen), screen
    return screen


def step_of(app: KioskApp) -> str | None:
    screen = app.screen
    if not isinstance(screen, VisitScreen) or screen.visit is None or screen.busy:
        return None
    return screen.visit.next_step or "done"


def error_of(app: KioskApp) -> str:
    return (
        app.screen.query_one("#visit-error", LangText).shown
        if isinstance(app.screen, VisitScreen)
        else ""
    )


class Counter:
    """Drives one app through visits like a person at the kiosk."""

    def __init__(self, pilot: Pilot, app: KioskApp) -> None:
        self.pilot, self.app = pilot, app

    async def ready(self) -> None:
        rig = self.app.services.training_rig
        await until(
            self.pilot,
            lambda: all(p.state != "starting" for p in rig.parts.values()),
            "the stand-ins up",
        )
        assert rig.parts["pcscd"].state == "ready", rig.parts
        if not rig.network_up:  # an earlier test left the network cut
            await asyncio.to_thread(rig.sim_network, True)
        assert rig.parts["hub"].state == "ready", rig.parts

    async def place_card(self, person: str = "zhang_wei") -> None:
        await self.pilot.press("f9")
        await until(self.pilot, lambda: isinstance(self.app.screen, SimulatorScreen), "panel")
        await self.pilot.click("#sim-card-place")
        rig = self.app.services.training_rig
        await until(self.pilot, lambda: rig.card_person == person, "card placed")
        await self.pilot.press("escape")

    async def start(
        self,
        service: str,
        program: str,
        kind: str,
        order: str | None = None,
        years: int | None = None,
    ) -> None:
        await until(self.pilot, lambda: len(self.app.screen_stack) == 1, "welcome")
        await self.pilot.click(f"#service-{service}")
        await until(self.pilot, lambda: self.app.screen.name == "program", "program screen")
        await self.pilot.click(f"#program-{program}")
        await until(self.pilot, lambda: self.app.screen.name == "kind", "kind screen")
        await self.pilot.click(f"#kind-{kind}")
        await until(self.pilot, lambda: self.app.screen.name == "checklist", "checklist")
        if years is not None:  # 有效期 on the checklist (a digit chooses it)
            await self.pilot.press(str(years))
        await self.pilot.click("#identify")
        await until(self.pilot, lambda: isinstance(self.app.screen, VisitScreen), "visit")
        if order is not None:
            await until(self.pilot, lambda: bool(self.app.screen.query("#visit-order")), "order")
            self.app.screen.query_one("#visit-order", Input).value = order
            await self.pilot.click("#visit-next")
        await until(self.pilot, lambda: step_of(self.app) == "identify", "identify step")

    async def identify(self) -> None:
        await self.pilot.click("#visit-next")
        await until(self.pilot, lambda: self.app.screen.name == "idcard", "card screen")
        await until(
            self.pilot,
            lambda: not self.app.screen.query_one("#idcard-confirm").disabled,
            "card read",
        )
        await self.pilot.click("#idcard-confirm")
        await until(self.pilot, lambda: step_of(self.app) not in (None, "identify"), "identified")

    async def go(self, step: str, **fields: str) -> None:
        await until(self.pilot, lambda: step_of(self.app) == step, f"step {step}")
        await self.pilot.pause()
        for selector, value in fields.items():
            await until(
                self.pilot, lambda s=selector: bool(self.app.screen.query(f"#{s}")), selector
            )
            self.app.screen.query_one(f"#{selector}", Input).value = value
        await self.pilot.click("#visit-next")
        await until(
            self.pilot,
            lambda: step_of(self.app) not in (None, step) or bool(error_of(self.app)),
            f"step {step} answered",
        )
        assert not error_of(self.app), error_of(self.app)

    async def seal(self) -> None:
        """The seal step: open the live seal screen, capture a passing imprint, accept it."""
        await until(self.pilot, lambda: step_of(self.app) == "seal", "step seal")
        await self.pilot.pause()
        await self.pilot.click("#visit-next")
        await until(self.pilot, lambda: isinstance(self.app.screen, SealScreen), "seal screen")
        screen = self.app.screen
        assert isinstance(screen, SealScreen)
        for _ in range(5):  # the video loops back to the empty form: retake if it did
            await until(
                self.pilot,
                lambda: screen.live_check is not None and not screen.live_check.needs_staff,
                "a passing imprint",
            )
            await self.pilot.press("space")
            if screen.frozen is not None and not screen.frozen.needs_staff:
                break
            await self.pilot.press("r")
        await self.pilot.press("a")
        await until(
            self.pilot,
            lambda: step_of(self.app) not in (None, "seal") or bool(error_of(self.app)),
            "step seal answered",
        )
        assert not error_of(self.app), error_of(self.app)

    async def finish(self, fields: dict[str, dict[str, str]] | None = None) -> str:
        """Every remaining step of the engine's plan, with ``fields`` typed at their steps."""
        fields = fields or {}
        while (step := step_of(self.app)) != "done":
            if step is None:
                await self.pilot.pause(0.05)
                continue
            if step == "seal":
                await self.seal()
                continue
            await self.go(step, **fields.get(step, {}))
        return await self.done()

    async def done(self) -> str:
        await until(self.pilot, lambda: step_of(self.app) == "done", "visit done")
        state = visit(self.app).visit
        assert state is not None and state.state == "done", state
        await self.pilot.click("#visit-home")
        await until(self.pilot, lambda: len(self.app.screen_stack) == 1, "back home")
        return str(state.order)


async def new_org_with_seal(c: Counter) -> str:
    await c.start("new", "dongguan-hpf", "org")
    progress = c.app.screen.query_one(VisitProgress)
    assert progress.steps == [
        "identify",
        "form",
        "materials",
        "seal",
        "quote",
        "pay",
        "keys",
        "handover",
        "receipt",
    ]
    await c.identify()
    await c.go(
        "form",
        **{"unit-uscc": USCC, "unit-name": "东莞市演示科技有限公司", "unit-address": ADDRESS},
    )
    await c.go("materials")
    await c.seal()
    for step in ("quote", "pay", "keys", "handover", "receipt"):
        await c.go(step)
    return await c.done()


async def test_new_org_with_seal_then_renew_and_unlock(training_app: KioskApp) -> None:
    app = training_app
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        first = await new_org_with_seal(c)
        state = app.services.visits.resume(first).state()
        assert state["training"] is True and state["certificate"], state
        # Its events reach the training hub on loopback (none held back or quarantined).
        reader = StatusReader(app.services.database)
        await until(pilot, lambda: reader.read().pending == 0, "events sent to the training hub")
        assert reader.read().quarantined == 0
        # The receipt was printed on the printer stand-in.
        sim = app.services.printer_sim
        await until(
            pilot,
            lambda: any(first in "\n".join(decode(j).lines) for j in sim.jobs()),
            "receipt printed",
        )

        # Unlock the key: a PIN slip with the new PIN is printed.
        await c.start("unlock", "dongguan-hpf", "org", order=first)
        await c.identify()
        assert "keys" in visit(app).visit.steps and "pay" not in visit(app).visit.steps
        await c.finish()
        pin = last_pin(sim.jobs())

        # Renew with that PIN; the form is not asked again (the unit comes from the first visit).
        # (a 3-year certificate renewed for 3 years would exceed 5 years: refused, so 1 year)
        await c.start("renew", "dongguan-hpf", "org", order=first, years=1)
        await c.identify()
        assert "form" not in visit(app).visit.steps
        # The key's seal is renewed with it: its year is charged, no imprint is asked.
        assert "seal" not in visit(app).visit.steps
        assert visit(app).visit.total_fen == 40000
        await c.finish({"keys": {"key-pin": pin}})


async def test_a_refused_step_is_said_in_words_and_stays_resumable(
    training_app: KioskApp,
) -> None:
    app = training_app
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        await c.start("new", "dongguan-hpf", "org")
        await c.identify()
        await until(pilot, lambda: step_of(app) == "form", "form")
        app.screen.query_one("#unit-uscc", Input).value = "91441900MA0000001X"
        app.screen.query_one("#unit-name", Input).value = "东莞市演示科技有限公司"
        await pilot.click("#visit-next")
        await until(pilot, lambda: bool(error_of(app)), "the refusal")
        assert "统一社会信用代码不正确" in error_of(app)
        assert step_of(app) == "form"
        order = visit(app).visit.order
        # The idle timeout / start over clears the screen; the visit stays in the journal.
        app.go_home()
        await until(pilot, lambda: len(app.screen_stack) == 1, "home")
        assert app.agent is None
        assert app.services.visits.resume(order).next_step() == "form"
        assert order in [v.order for v in app.services.visits.unfinished()]


async def tap(pilot: Pilot, selector: str) -> None:
    """Click a panel button like a finger would: scrolled into view first."""
    button = pilot.app.screen.query_one(selector)
    button.scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(selector)


async def test_simulator_drives_the_stand_ins_and_the_status_bar_follows(
    training_app: KioskApp,
) -> None:
    app = training_app
    rig = app.services.training_rig
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()

        def device(name: str) -> str:
            st = app.status
            if st is None:
                return ""
            return next(d.state.value for d in st.devices if d.device.value == name)

        await until(pilot, lambda: device("reader") == "ready", "reader ready via pcscd")
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, SimulatorScreen), "panel")
        # Paper out: the printer stand-in answers its status query with it.
        await tap(pilot, "#sim-paper-out")
        await until(pilot, lambda: rig.printer_sim.state == "paper-out", "paper out")
        await until(pilot, lambda: device("printer") == "fault", "printer fault on the bar")
        await tap(pilot, "#sim-paper-in")
        await until(pilot, lambda: device("printer") == "ready", "printer ready again")
        # Pull every key: the key reader is empty; a blank key makes it ready again.
        await tap(pilot, "#sim-key-pull")
        await until(pilot, lambda: device("token") == "missing", "no key in the reader")
        await tap(pilot, "#sim-key-blank")
        await until(pilot, lambda: device("token") == "ready", "blank key in")
        # A bad imprint for the camera.
        app.screen.query_one("#sim-imprint").value = "bad_blurred.jpg"
        await tap(pilot, "#sim-imprint-use")
        await until(pilot, lambda: rig.imprint == "bad_blurred.jpg", "bad imprint chosen")
        # Cut the network: the hub is gone; restore: it answers on the same address.
        url = rig.hub_url
        await tap(pilot, "#sim-net-cut")
        await until(pilot, lambda: not rig.network_up, "network cut")
        assert rig.parts["hub"].state == "stopped" and rig.hub.proc is None
        await tap(pilot, "#sim-net-restore")
        await until(pilot, lambda: rig.network_up, "network restored", deadline=40)
        assert rig.hub_url == url
        app.screen.query_one("#sim-imprint").value = "good.jpg"
        await tap(pilot, "#sim-imprint-use")
        await until(pilot, lambda: rig.imprint == "good.jpg", "good imprint again")
        await pilot.press("escape")

        # 关怀模式: F3 puts the care-mode class on the app; the idle reset restores the setting.
        assert not app.has_class("care-mode")
        await pilot.press("f3")
        assert app.has_class("care-mode")
        await pilot.press("f3")
        assert not app.has_class("care-mode")


async def test_a_bad_imprint_is_refused_in_words_and_staff_resume_the_visit(
    training_app: KioskApp,
) -> None:
    app = training_app
    rig = app.services.training_rig
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        rig.sim_imprint("bad_two_seals.jpg")
        await c.start("new", "dongguan-hpf", "org")
        await c.identify()
        await c.go(
            "form",
            **{
                "unit-uscc": "91441900MA00000023",
                "unit-name": "东莞市印章测试有限公司",
                "unit-address": ADDRESS,
            },
        )
        await c.go("materials")
        await until(pilot, lambda: step_of(app) == "seal", "seal step")
        await pilot.click("#visit-next")
        await until(pilot, lambda: isinstance(app.screen, SealScreen), "the seal screen")
        seal = app.screen
        assert isinstance(seal, SealScreen)
        await until(pilot, lambda: seal.live_check is not None, "a checked frame")
        await pilot.press("space")
        assert "不合格" in seal.query_one("#verdict", LangText).shown
        await pilot.press("a")  # the agent cannot accept it
        await pilot.pause()
        assert app.screen is seal
        await pilot.press("escape")
        await until(pilot, lambda: step_of(app) == "seal", "back at the seal step")
        assert "未采用印模" in error_of(app)
        order = visit(app).visit.order
        app.go_home()
        await until(pilot, lambda: len(app.screen_stack) == 1, "home")

        # Staff sign in and resume it, with a good imprint this time.
        rig.sim_imprint("good.jpg")
        await pilot.press("f12")
        await until(pilot, lambda: bool(app.screen.query("#staff-number")), "sign-in")
        app.screen.query_one("#staff-number", Input).value = STAFF_NO
        app.screen.query_one("#staff-pin", Input).value = STAFF_PIN
        await pilot.click("#sign-in")
        await until(pilot, lambda: bool(app.screen.query("#resume")), "staff mode")
        await pilot.pause()  # laid out before the click (a loaded machine was seen to miss it)
        await pilot.click("#resume")
        await until(pilot, lambda: bool(app.screen.query(f"#resume-{order}")), "the visit listed")
        await pilot.click(f"#resume-{order}")
        await until(pilot, lambda: step_of(app) == "seal", "resumed at the seal step")
        await c.seal()
        await until(pilot, lambda: step_of(app) == "quote", "past the seal")


async def test_offline_new_then_pickup_by_the_same_agent(training_app: KioskApp) -> None:
    app = training_app
    rig = app.services.training_rig
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        # The network is cut before the key step: the key is made, its certificate queued.
        await asyncio.to_thread(rig.sim_network, False)
        await c.start("new", "dongguan-hpf", "org")
        await c.identify()
        await c.go(
            "form",
            **{
                "unit-uscc": "91441900MA00000036",
                "unit-name": "东莞市离线测试有限公司",
                "unit-address": ADDRESS,
            },
        )
        await c.go("materials")
        await c.seal()
        for step in ("quote", "pay"):
            await c.go(step)
        await until(pilot, lambda: step_of(app) == "keys", "key step")
        await pilot.click("#visit-next")
        await until(pilot, lambda: bool(error_of(app)), "queued offline", deadline=60)
        assert "证书申请已排队" in error_of(app), error_of(app)
        order = visit(app).visit.order
        app.go_home()
        await until(pilot, lambda: len(app.screen_stack) == 1, "home")

        # Back online: the same agent collects the key with the pickup service.
        await asyncio.to_thread(rig.sim_network, True)
        await c.start("pickup", "dongguan-hpf", "org", order=order)
        await c.identify()
        await c.finish()
        assert app.services.visits.resume(order).state()["certificate"]
