"""The Textual app: wiring only. Screens show and collect; this module connects them to the
settings, the status source and the counter's rules, and owns the kiosk-wide behaviour: the
language switch, the staff key, the idle timeout, and that the applicant cannot quit.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from time import monotonic
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive, var
from textual.worker import Worker, WorkerState

from kiosk.domain.services import ON_EXISTING_KEY, PRICED
from kiosk.domain.types import Kind, Program, SealPricing, Service
from kiosk.errors import KioskError
from kiosk.shell.services import Services
from kiosk.status import KioskStatus
from screens import STYLESHEET
from screens.i18n import LANGUAGES, Bi, Lang, t
from screens.welcome import WelcomeScreen

# Only what draws the welcome screen is imported with this module (the start-up figure of
# ``make bench``). The other screens load when first shown, or earlier in the start-up worker
# once the welcome screen is up (_warm_up), so the first tap does not wait for them either.
_LATER_SCREENS = (
    "screens.checklist",
    "screens.dayclose",
    "screens.idcard",
    "screens.kind",
    "screens.program",
    "screens.resume",
    "screens.simulator",
    "screens.staff",
    "screens.staff_home",
    "screens.sync",
    "screens.visit",
    "screens.years",
    "kiosk.domain.fees",
)

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.shell.context import CliContext
    from screens.checklist import ChecklistScreen
    from screens.idcard import AgentIdentified
    from screens.kind import KindScreen
    from screens.program import ProgramScreen
    from screens.resume import ResumeScreen
    from screens.staff import StaffSignInScreen
    from screens.staff_home import StaffHomeScreen
    from screens.visit import VisitScreen
    from screens.years import YearsChoice

log = logging.getLogger(__name__)

# Input that counts as someone using the kiosk (resets the idle timer). Mouse moves do not: a
# touch screen reports presses, and a bumped mouse must not keep a stranger's visit open.
_ACTIVITY = (
    events.Key,
    events.MouseDown,
    events.MouseUp,
    events.MouseScrollDown,
    events.MouseScrollUp,
)


class StandInChanged(Message):
    """A training stand-in came up, stopped or failed (posted from the rig's thread)."""


class ServicesBuilt(Message):
    """The start-up worker built the services (posted from its thread)."""

    def __init__(self, services: Services | None) -> None:
        super().__init__()
        self.services = services


class StatusPolled(Message):
    """The status worker finished a poll of the devices, the hub and the counter's hours."""

    def __init__(self, status: KioskStatus) -> None:
        super().__init__()
        self.status = status


@dataclass(frozen=True, slots=True)
class SealOption:
    """Whether the kind screen asks about a seal, and the answer when it does not ask.

    ``new`` tells the question's wording: a new certificate *gets* a seal; on other services
    the applicant says whether their certificate *has* one (its seal form comes along).
    """

    offered: bool
    default: bool
    new: bool = False


# Services on which the certificate's seal matters to the materials (the seal form comes along).
_SEAL_MATTERS = frozenset(
    {Service.NEW, Service.RENEW, Service.CHANGE, Service.REPLACE, Service.UNLOCK, Service.CANCEL}
)


def seal_option(service: Service, program: Program) -> SealOption:
    """Whether this visit's certificate has (or gets) an electronic seal.

    The 电子印章 service always concerns one; programs that issue no seal (佛山一证通) never
    do; on the other certificate services the applicant says (default yes: most counter
    certificates carry a seal); pickup, refund and key recovery do not ask.
    """
    if program.seal_pricing is SealPricing.NONE:
        return SealOption(offered=False, default=False)
    if service is Service.SEAL:
        return SealOption(offered=False, default=True)
    if service in _SEAL_MATTERS:
        return SealOption(offered=True, default=True, new=service is Service.NEW)
    return SealOption(offered=False, default=False)


class _NotBuiltYet:
    """The status source of :func:`starting_services`: never polled (the app polls once the
    real services are in), the status bar shows every part as still being checked."""

    def poll(self) -> KioskStatus:
        raise KioskError("the kiosk's services are still starting", code="app.starting")


def starting_services(training: bool) -> Services:
    """What the app holds while :func:`build_services` runs after the first frame: no store,
    no devices, the default clock and checklist (the same ones the real services use)."""
    return Services(status=_NotBuiltYet(), training=training)


class KioskApp(App[int], inherit_bindings=False):
    """The kiosk screen.

    Args:
        settings: the validated kiosk.toml.
        services: the store, the status source, the clock and the counter rules; with
            ``build``, the stand-in held until the built ones arrive (:func:`starting_services`).
        idle_timeout_s: seconds without input before a visit is cleared back to the welcome
            screen; default ``settings.ui.idle_timeout_s`` (tests pass a short one).
        build: builds the real services; called in a thread worker once the welcome screen is
            drawn, so the applicant sees it without waiting for the store, the print worker or
            the stand-ins (the status bar says "checking" meanwhile). Actions that need the
            services (staff key, simulator, identification) wait for them.
    """

    CSS_PATH: ClassVar[Any] = [STYLESHEET]
    TITLE = "NETCA counter kiosk"
    # No command palette, and App's default bindings (ctrl+q quit, ctrl+c hint) are not
    # inherited (inherit_bindings=False above): the applicant must not be able to leave the
    # kiosk; ending the program is a staff-mode action.
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "toggle_language", show=False, priority=True),
        Binding("f12", "staff", show=False, priority=True),
        Binding("f3", "toggle_care", show=False, priority=True),
        Binding("f9", "simulator", show=False, priority=True),
    ]

    language: reactive[Lang] = reactive("zh-CN")
    #: 关怀模式: larger, bolder, more spaced text (the ``care-mode`` class on the app).
    care_mode: reactive[bool] = reactive(False)
    status: var[KioskStatus | None] = var(None)

    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        idle_timeout_s: float | None = None,
        build: Callable[[], Services] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.services = services
        self.training = services.training
        self.staff = services.staff
        self.idle_timeout_s = (
            float(settings.ui.idle_timeout_s) if idle_timeout_s is None else idle_timeout_s
        )
        self._tz = ZoneInfo(settings.counter.timezone)
        self._last_input = monotonic()
        self._status_worker: Worker[None] | None = None
        #: The agent identified on the ID card screen in this visit (None until then).
        self.agent: Any = None
        #: How the agent was identified: ``"card"`` or ``"manual"`` (staff entry).
        self.agent_source: str | None = None
        self.set_reactive(KioskApp.language, settings.ui.language)
        self.set_reactive(KioskApp.care_mode, settings.ui.care_mode)
        self._build = build
        #: The services ``build`` returned (set in its worker; closed by :meth:`close_services`).
        self._built: Services | None = None
        #: Why ``build`` failed (run_app raises it once the app has exited), or None.
        self.start_error: BaseException | None = None
        self._when_built: list[Callable[[], None]] = []
        self._services_ready = build is None
        self._leaving = False

    # -- start -----------------------------------------------------------------------------

    def get_default_screen(self) -> WelcomeScreen:
        return WelcomeScreen()

    #: run_app sets it: SIGHUP (the terminal went away) and SIGTERM (systemd stopping the kiosk)
    #: end the app in order, so the stand-ins and devices are closed rather than left running.
    exit_on_signals = False

    def on_mount(self) -> None:
        self.set_class(self.care_mode, "care-mode")
        if self.exit_on_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self._signalled, sig)
        # Check often enough that a visit clears within a quarter of the timeout of going idle.
        self.set_interval(min(1.0, self.idle_timeout_s / 4), self._check_idle)
        # After the first frame: ``kiosk`` paused the cyclic collector for the start-up.
        self.call_after_refresh(_resume_gc)
        if self._build is None:
            self._services_in()
        else:
            # After the first frame: the worker's imports and SQLite work would otherwise
            # compete with drawing the welcome screen for the one interpreter lock.
            self.call_after_refresh(
                self.run_worker,
                self._build_in_thread,
                thread=True,
                group="start-up",
                exit_on_error=False,
            )

    def _build_in_thread(self) -> None:
        assert self._build is not None
        try:
            built = self._build()
        except BaseException as e:  # run_app reports it once the app has exited
            self.start_error = e
            log.error("the kiosk's services did not start: %s", e)
            self.post_message(ServicesBuilt(None))
            return
        self._built = built
        # A message, not call_from_thread: that would wait on an app that may be closing
        # meanwhile (run_app then closes what was built).
        self.post_message(ServicesBuilt(built))
        self._warm_up()

    def on_services_built(self, event: ServicesBuilt) -> None:
        if event.services is None:
            self.exit(1)
            return
        if self._leaving:
            return  # closing already: run_app closes them
        services = event.services
        self.services = services
        self.staff = services.staff
        self._services_ready = True
        self._services_in()
        waiting, self._when_built = self._when_built, []
        for action in waiting:
            action()

    @staticmethod
    def _warm_up() -> None:
        """Import the screens the welcome screen leads to (in the start-up worker)."""
        for name in _LATER_SCREENS:
            try:
                importlib.import_module(name)
            except Exception:  # shown (and reported) when the screen is opened
                log.exception("importing %s ahead failed", name)

    def _services_in(self) -> None:
        """Start what works on the services: the stand-ins, the resume offer, the status poll."""
        rig = self.services.training_rig
        if rig is not None:
            # Each stand-in coming up re-polls the status bar, so it shows them arrive.
            rig.on_change = lambda: self.post_message(StandInChanged())
            self.run_worker(rig.start, thread=True, group="training", exit_on_error=False)
        self.run_worker(self._offer_resume, thread=True, group="resume", exit_on_error=False)
        self._poll_status()
        self.set_interval(self.services.status_interval_s, self._poll_status)
        if self.staff is not None:
            self.set_interval(1.0, self._check_staff_session)

    @property
    def services_ready(self) -> bool:
        """The real services are in (always, when they were given rather than built)."""
        return self._services_ready

    def _once_built(self, action: Callable[[], None]) -> None:
        """Run ``action`` now, or as soon as the services built after the first frame are in."""
        if self.services_ready:
            action()
        else:
            self._when_built.append(action)

    def close_services(self) -> None:
        """Close the services the app holds, or those its start-up worker built."""
        (self._built if self._built is not None else self.services).close()

    def exit(self, result: int | None = None, return_code: int = 0, message: Any = None) -> None:
        """Exit the app (services built after this are not started, only closed)."""
        self._leaving = True
        super().exit(result, return_code, message)

    def _signalled(self, sig: int) -> None:
        log.info("%s: closing the kiosk", signal.Signals(sig).name)
        if sig == signal.SIGHUP:
            # The terminal is gone: Textual's shutdown would wait on its writer thread for a
            # dead pty (seen: blocked for good in WriterThread.stop), so close what we hold and go.
            self._leave(sig)
        self.exit(return_code=128 + sig)
        # Last resort should the orderly exit hang: the stand-ins and devices are still closed.
        timer = threading.Timer(10.0, self._leave, args=(sig,))
        timer.daemon = True  # an exit that works does not wait for it
        timer.start()

    def _leave(self, sig: int) -> None:
        try:
            self.close_services()
        except Exception:  # leaving anyway; say why in the log
            log.exception("closing the services on %s failed", signal.Signals(sig).name)
        logging.shutdown()
        os._exit(128 + sig)

    # -- input and idle ----------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _ACTIVITY):
            self._last_input = monotonic()
            if self.staff is not None and self._in_staff_mode():
                self._touch_staff()
        await super().on_event(event)

    def _in_staff_mode(self) -> bool:
        from screens.dayclose import DayCloseScreen
        from screens.staff_home import StaffHomeScreen

        return any(isinstance(s, (StaffHomeScreen, DayCloseScreen)) for s in self.screen_stack)

    def _touch_staff(self) -> None:
        # Timed out already: the session check clears staff mode.
        with contextlib.suppress(KioskError):
            self.staff.touch()

    def _check_staff_session(self) -> None:
        """Staff mode ends by itself after ui.staff_timeout_s without activity."""
        if self._in_staff_mode() and self.staff.current() is None:
            log.info("staff session ended (timeout): back to the welcome screen")
            self.go_home()

    def _check_idle(self) -> None:
        if monotonic() - self._last_input < self.idle_timeout_s:
            return
        at_home = len(self.screen_stack) == 1
        if (
            at_home
            and self.language == self.settings.ui.language
            and self.care_mode == self.settings.ui.care_mode
        ):
            return
        log.info("idle for %.0f s: back to the welcome screen", self.idle_timeout_s)
        self.go_home()
        self.language = self.settings.ui.language
        self.care_mode = self.settings.ui.care_mode

    def go_home(self) -> None:
        """Clear the visit's screens back to the welcome screen.

        The stack shrinks at once (each pop leaves the stack synchronously; only the screens'
        unmounting is deferred), so calling this again before the screens are gone is harmless.
        """
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.agent = self.agent_source = None
        home = self.screen_stack[0]
        if isinstance(home, WelcomeScreen):
            home.reset()

    def local_now(self) -> datetime:
        """The current time in the counter's time zone."""
        return self.services.clock.now().astimezone(self._tz)

    def may_end_program(self) -> bool:
        """Training mode, or a supervisor signed in."""
        if self.training:
            return True
        who = self.staff.current() if self.staff is not None else None
        return who is not None and who.role == "supervisor"

    def end_program(self) -> None:
        """End the program: in training mode, or by a signed-in supervisor."""
        if self.may_end_program():
            log.info("program ended from staff mode")
            if self.staff is not None:
                self.staff.sign_out()
            self.exit(0)
        else:
            log.warning("end of program refused: no supervisor signed in")

    # -- actions -----------------------------------------------------------------------------

    def action_toggle_language(self) -> None:
        """F2: zh-CN <-> English."""
        i = LANGUAGES.index(self.language)
        self.language = LANGUAGES[(i + 1) % len(LANGUAGES)]

    @property
    def has_simulator(self) -> bool:
        """Training mode with its stand-ins: F9 opens the simulator panel.

        While the services are still being built, training mode will have them (run_app builds
        the rig in training): the welcome screen's hints show F9 from the first frame.
        """
        if not self.services_ready:
            return self.training
        return self.services.training_rig is not None

    def watch_care_mode(self, on: bool) -> None:
        self.set_class(on, "care-mode")

    def action_toggle_care(self) -> None:
        """F3: 关怀模式 (large text) on or off; the idle timeout turns it back to the setting."""
        self.care_mode = not self.care_mode

    def action_simulator(self) -> None:
        """F9 (training only): the simulator panel driving the stand-ins."""
        if not self.services_ready:
            self._once_built(self.action_simulator)
            return
        from screens.simulator import SimulatorScreen

        rig = self.services.training_rig
        if rig is None or isinstance(self.screen, SimulatorScreen):
            return
        self.push_screen(SimulatorScreen(rig))

    def on_stand_in_changed(self, event: StandInChanged) -> None:
        self._poll_status()

    def action_staff(self) -> None:
        """F12: the staff sign-in screen, or staff mode when signed in (never stacked twice)."""
        if not self.services_ready:
            self._once_built(self.action_staff)
            return
        from screens.dayclose import DayCloseScreen
        from screens.staff import StaffSignInScreen
        from screens.staff_home import StaffHomeScreen

        if isinstance(self.screen, (StaffSignInScreen, StaffHomeScreen, DayCloseScreen)):
            return
        who = self.staff.current() if self.staff is not None else None
        self.push_screen(StaffHomeScreen(who) if who is not None else StaffSignInScreen())

    # -- staff mode ----------------------------------------------------------------------------

    def on_staff_sign_in_screen_signed_in(self, event: StaffSignInScreen.SignedIn) -> None:
        self.pop_screen()
        if getattr(self.screen, "STAFF_SIGN_IN_RETURNS", False):
            return  # staff were needed right there (a seal override): back to it, signed in
        from screens.staff_home import StaffHomeScreen

        self.push_screen(StaffHomeScreen(event.who))

    def on_staff_home_screen_day_close_requested(
        self, event: StaffHomeScreen.DayCloseRequested
    ) -> None:
        if self.staff is not None:
            from screens.dayclose import DayCloseScreen

            self.push_screen(DayCloseScreen(self.staff))

    def on_staff_home_screen_resume_requested(self, event: StaffHomeScreen.ResumeRequested) -> None:
        if self.services.visits is not None:
            from screens.resume import ResumeScreen

            self.push_screen(ResumeScreen(self.services.visits))

    def on_staff_home_screen_sync_requested(self, event: StaffHomeScreen.SyncRequested) -> None:
        if self.services.database is not None:
            from kiosk.sync.desk import SyncDesk
            from screens.sync import SyncScreen

            self.push_screen(SyncScreen(SyncDesk(self.services.database)))

    def on_resume_screen_resume_confirmed(self, event: ResumeScreen.ResumeConfirmed) -> None:
        log.info("staff resumed visit %s", event.order)
        self.resume_visit(event.order)

    def _offer_resume(self) -> None:
        # At start-up: unfinished visits are offered to staff (they confirm in staff mode).
        desk = self.services.visits
        if desk is None:
            return
        try:
            n = len(desk.unfinished())
        except KioskError as e:
            log.warning("cannot list unfinished visits: %s", e.message)
            return
        if n:
            from screens.resume import OFFER_KEY as RESUME_OFFER

            text = t(RESUME_OFFER, self.language, n=n)
            self.call_from_thread(self.notify, text, timeout=15)

    def on_staff_home_screen_sign_out_requested(
        self, event: StaffHomeScreen.SignOutRequested
    ) -> None:
        if self.staff is not None:
            self.staff.sign_out()
        self.go_home()

    # -- the visit's screens -------------------------------------------------------------------

    def programs_for(self, service: Service) -> list[Program]:
        """The programs that offer ``service``, in kiosk.toml's order."""
        return [p.to_domain() for p in self.settings.programs if service in p.services]

    def on_welcome_screen_service_chosen(self, event: WelcomeScreen.ServiceChosen) -> None:
        from screens.program import ProgramScreen

        self.push_screen(ProgramScreen(event.service, self.programs_for(event.service)))

    def on_program_screen_program_chosen(self, event: ProgramScreen.ProgramChosen) -> None:
        from screens.kind import KindScreen

        option = seal_option(event.service, event.program)
        self.push_screen(
            KindScreen(
                event.service,
                event.program,
                seal_offered=option.offered,
                seal_default=option.default,
                seal_new=option.new,
            )
        )

    def on_kind_screen_kind_chosen(self, event: KindScreen.KindChosen) -> None:
        from screens.checklist import ChecklistScreen

        self.push_screen(
            ChecklistScreen(
                event.service,
                event.program,
                event.kind,
                event.seal,
                self._materials(event.service, event.kind, event.program, event.seal),
                years=self._years_choice(event.service, event.program, event.kind, event.seal),
            )
        )

    def _years_choice(
        self, service: Service, program: Program, kind: Kind, seal: bool
    ) -> YearsChoice | None:
        """The validity years the checklist offers (the quote follows), when the service
        takes years; DOMAIN: 3 years or more recommended, so 3 is shown first."""
        from kiosk.domain import fees
        from screens.years import YearsChoice

        if not fees.takes_years(program, service):
            return None

        def price(years: int) -> int | None:
            try:
                return fees.quote(program, service, kind, years=years, seal=seal).total_fen
            except KioskError:
                return None

        return YearsChoice(fees.MIN_YEARS, fees.MAX_YEARS, 3, 3, price)

    def on_checklist_screen_identify_requested(
        self, event: ChecklistScreen.IdentifyRequested
    ) -> None:
        if not self.services_ready:
            self._once_built(lambda: self.on_checklist_screen_identify_requested(event))
            return
        from screens.idcard import IdCardScreen
        from screens.visit import VisitScreen

        desk = self.services.visits
        if desk is None:
            self.push_screen(IdCardScreen(self.services.idcard, self.services.manual_entry))
            return
        c = event.checklist
        service, program, kind, seal = c.service, c.program, c.kind, c.seal
        years = c.years if c.years is not None else (1 if service.value in PRICED else None)

        def opener(earlier: str | None) -> Any:
            # Runs in the visit screen's worker thread: the engine opens the visit.
            return desk.open(
                service=service.value,
                program=program.id,
                kind=kind.value,
                years=years,
                # A new certificate takes the kind screen's answer (the imprint is photographed)
                # and the seal service always has one. On an existing key the seal is the key's
                # (None: the engine reads it; a renewal charges its years where they are
                # charged): the kind screen's answer there only picked the materials.
                seal=seal if service.value in ("new", "seal") else None,
                order=earlier,
            )

        subject = Bi(
            f"{service.zh} · {kind.zh} · {program.name_zh}",
            f"{service.en} · {kind.en} · {program.name_en}",
        )
        self.push_screen(
            VisitScreen(
                desk,
                opener,
                needs_order=service.value in ON_EXISTING_KEY,
                subject=subject,
                choice=(service.value, program.id, kind.value),
            )
        )

    def on_visit_screen_identify_needed(self, event: VisitScreen.IdentifyNeeded) -> None:
        from screens.idcard import IdCardScreen

        self.push_screen(IdCardScreen(self.services.idcard, self.services.manual_entry))

    def resume_visit(self, order: str) -> None:
        """Staff resume an unfinished visit at its next step."""
        desk = self.services.visits
        if desk is None:
            return
        from screens.visit import VisitScreen

        self.go_home()
        self.push_screen(VisitScreen(desk, lambda _e: desk.resume(order), subject=Bi(order, order)))

    def on_agent_identified(self, event: AgentIdentified) -> None:
        # The visit takes the agent from here; the number stays masked in logs.
        from screens.idcard import IdCardScreen
        from screens.visit import VisitScreen

        number = event.holder.id_number
        self.agent = event.holder
        self.agent_source = event.source
        below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
        if isinstance(self.screen, IdCardScreen) and isinstance(below, VisitScreen):
            valid_to = getattr(event.holder, "valid_to", None)
            self.pop_screen()
            below.agent_identified(
                event.holder.name,
                number,
                valid_to.isoformat() if valid_to is not None else None,
            )
        log.info("agent identified by %s: %s", event.source, number[:6] + "********" + number[-4:])

    def _materials(
        self, service: Service, kind: Kind, program: Program, seal: bool
    ) -> list[Any] | None:
        try:
            return self.services.checklist(service, kind, program, seal)
        except KioskError as e:
            log.warning("no checklist for %s/%s/%s: %s", service, kind, program.id, e.message)
            return None

    # -- status ------------------------------------------------------------------------------

    def _poll_status(self) -> None:
        if self._status_worker is not None and self._status_worker.is_running:
            return  # a slow probe is still answering; do not pile threads up behind it
        self._status_worker = self.run_worker(
            self._poll_in_thread, thread=True, group="status", exit_on_error=False
        )

    def _poll_in_thread(self) -> None:
        status = self.services.status.poll()
        self.post_message(StatusPolled(status))
        if self.services.status_log is not None:
            # For the supervisor console, which reads device states rather than opening devices.
            self.services.status_log.record(status)

    def on_status_polled(self, event: StatusPolled) -> None:
        self.status = event.status

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            log.error("worker %s failed", event.worker.name, exc_info=event.worker.error)


def _resume_gc() -> None:
    """Resume the cyclic collector if the start-up paused it (``python -m kiosk``).

    What the start-up built (modules, settings, styles) lives as long as the process: frozen,
    later collections skip it instead of walking it each time.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def run_app(cli_ctx: CliContext) -> int:
    """``kiosk`` without a subcommand: build the real services and run the screen.

    Returns:
        The exit status.
    """
    from kiosk.runtime import setup_logging
    from kiosk.shell.services import build_services

    settings = cli_ctx.settings()
    setup_logging(cli_ctx.paths())
    # The welcome screen is drawn first; the store, the print worker, the staff roster and the
    # stand-ins are built in a worker right after (KioskApp's ``build``).
    app = KioskApp(
        settings,
        starting_services(cli_ctx.training),
        build=lambda: build_services(cli_ctx),
    )
    app.exit_on_signals = True
    try:
        code = app.run()
    finally:
        app.close_services()
    if app.start_error is not None:
        raise app.start_error
    return int(code or 0)
