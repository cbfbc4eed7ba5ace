"""The supervisor console app (``kiosk supervise``; what ``kiosk serve-web`` serves): wiring only.

Screens in :mod:`screens.supervisor` show and collect; this app connects them to a
:class:`~kiosk.console.views.ConsoleDesk` (read-only store, roster sign-in) and owns the session's
life: the sign-in screen first, the console after a supervisor signs in, back to the sign-in on
sign-out or after ``ui.staff_timeout_s`` without input (checked by the desk, audited), and the
session's audited end when the program exits (the browser closed).

It builds none of the kiosk's services: no device adapter, print worker, payment gateway, sync
worker or training stand-in is created here, so running it beside the counter's kiosk cannot
take a device from it.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.worker import Worker, WorkerState

from kiosk.config import Settings
from kiosk.console.model import ConsolePort
from kiosk.console.views import ConsoleDesk
from screens import STYLESHEET
from screens.i18n import LANGUAGES, Lang
from screens.supervisor import STYLESHEET as CONSOLE_STYLES
from screens.supervisor.console import ConsoleScreen
from screens.supervisor.signin import SIGNED_OUT, TIMED_OUT, ConsoleSignInScreen

if TYPE_CHECKING:
    from kiosk.shell.context import CliContext

log = logging.getLogger(__name__)

_INPUT = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)


class SessionEnded(Message):
    """The supervisor's session ended (signed out, timed out); the sign-in screen returns.

    ``seen_on`` is the console screen that was showing when the end was noticed: a late notice
    (a worker of an earlier session) must not throw out the session signed in since.
    """

    def __init__(self, notice: str, seen_on: ConsoleScreen) -> None:
        super().__init__()
        self.notice = notice
        self.seen_on = seen_on


class SupervisorConsole(App[int]):
    """The console.

    Args:
        settings: the validated kiosk.toml (counter, programs, staff timeout).
        desk: the store side (``ConsoleDesk``, or a test's stand-in).
        training: the desk reads the training store (shown in the header).
        refresh_s: seconds between reads of the counter's records.
    """

    CSS_PATH: ClassVar[Any] = [STYLESHEET, CONSOLE_STYLES]
    TITLE = "NETCA supervisor console"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "toggle_language", show=False, priority=True),
        Binding("ctrl+q", "quit", show=False, priority=True),
    ]

    language: reactive[Lang] = reactive("zh-CN")

    def __init__(
        self,
        settings: Settings,
        desk: ConsolePort,
        *,
        training: bool = False,
        refresh_s: float = 5.0,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.desk = desk
        self.training = training
        self.refresh_s = refresh_s
        self.staff = None  # screens.host.ShellHost: the console has no counter staff mode
        self._last_input = monotonic()
        self._touched = self._last_input
        self.set_reactive(SupervisorConsole.language, settings.ui.language)

    def on_mount(self) -> None:
        # Pushed over the default screen, so sign-in and console replace each other
        # (switch_screen) and nothing lies beneath to go "back" to.
        self.push_screen(ConsoleSignInScreen())
        self.set_interval(1.0, self._check_session)

    def action_toggle_language(self) -> None:
        """F2: zh-CN <-> English."""
        i = LANGUAGES.index(self.language)
        self.language = LANGUAGES[(i + 1) % len(LANGUAGES)]

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, _INPUT):
            self._last_input = monotonic()
        await super().on_event(event)

    # -- the session -----------------------------------------------------------------------------

    def on_console_sign_in_screen_signed_in(self, event: ConsoleSignInScreen.SignedIn) -> None:
        self.switch_screen(ConsoleScreen(event.who, refresh_s=self.refresh_s))

    def on_console_screen_sign_out_requested(self, event: ConsoleScreen.SignOutRequested) -> None:
        if isinstance(self.screen, ConsoleScreen):
            self._end_session("sign_out", SIGNED_OUT, self.screen)

    def on_console_screen_read_failed(self, event: ConsoleScreen.ReadFailed) -> None:
        if event.error.code.startswith("staff."):  # the desk ended the session (timeout)
            self.post_message(SessionEnded(TIMED_OUT, event.screen))

    def _check_session(self) -> None:
        """Once a second: pass input on to the desk's session clock; notice a timeout."""
        if not isinstance(self.screen, ConsoleScreen) or self.screen.ended:
            return
        self._session_tick(self._last_input > self._touched, self.screen)
        self._touched = self._last_input

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-session")
    def _session_tick(self, active: bool, screen: ConsoleScreen) -> None:
        if active:
            self.desk.touch()
        if self.desk.current() is None:  # timed out: the desk ended it and audited it
            self.post_message(SessionEnded(TIMED_OUT, screen))

    @work(thread=True, exclusive=True, exit_on_error=False, group="console-session")
    def _end_session(self, reason: str, notice: str, screen: ConsoleScreen) -> None:
        self.desk.sign_out(reason)
        self.post_message(SessionEnded(notice, screen))

    def on_session_ended(self, event: SessionEnded) -> None:
        # Once per console screen: a second notice can arrive before the switch completes.
        if self.screen is event.seen_on and not event.seen_on.ended:
            event.seen_on.ended = True
            self.switch_screen(ConsoleSignInScreen(event.notice))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            log.error("worker %s failed", event.worker.name, exc_info=event.worker.error)


def _console_log(base: Path) -> None:
    """Log to ``<base>/logs/console.log``: its own file, so two processes never rotate one."""
    logs = base / "logs"
    try:
        logs.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a read-only data folder: the audit log in the store still records sign-ins
    target = (logs / "console.log").resolve()
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for h in root.handlers:
        if isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == target:
            return
    handler = logging.handlers.RotatingFileHandler(
        target, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


def run_console(cli_ctx: CliContext, *, refresh_s: float = 5.0, via: str = "terminal") -> int:
    """``kiosk supervise``: open the store read-only and run the console.

    Raises:
        StoreError: no kiosk store at the data directory, or it is behind this code.
    """
    settings = cli_ctx.settings()
    paths = cli_ctx.paths()
    desk = ConsoleDesk(paths.database, settings, training=cli_ctx.training, via=via)
    desk.check()  # a wrong --data-dir fails here, in words, before any screen
    _console_log(paths.base)
    try:
        code = SupervisorConsole(
            settings, desk, training=cli_ctx.training, refresh_s=refresh_s
        ).run()
    finally:
        desk.close()  # a live session ends here, audited as "closed"
    return int(code or 0)
