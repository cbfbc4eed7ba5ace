"""Staff mode: who is signed in and what they may do (the day close, sign out, end the program).

The buttons follow the role: the day close for a clerk or a supervisor; ending the program for a
supervisor (or anyone in training mode). Staff mode signs out by itself after
``ui.staff_timeout_s`` without activity (the app checks the session and clears the screens).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget

from screens.base import KioskScreen
from screens.host import host
from screens.staff_port import SignedInView
from screens.widgets.text import LangButton, LangText


class StaffHomeScreen(KioskScreen):
    """工作人员 Staff mode."""

    HINTS = ("keys.back", "keys.language")

    class DayCloseRequested(Message):
        """The clerk opens the day close."""

    class SignOutRequested(Message):
        """The staff member signs out."""

    class ResumeRequested(Message):
        """Staff open the unfinished visits."""

    class SyncRequested(Message):
        """Staff open the sync desk (queue, quarantine, keys waiting)."""

    def __init__(self, who: SignedInView) -> None:
        super().__init__(name="staff-home")
        self.who = who

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="staff-form"):
            yield LangText(
                "staff.home_heading",
                values={"name": self.who.name, "role": self.who.role, "role_zh": self.who.role_zh},
                id="heading",
                classes="heading",
            )
            yield LangText(
                "staff.timeout_hint",
                values={"n": host(self).settings.ui.staff_timeout_s},
                classes="hint",
            )
            with Horizontal(id="nav"):
                if self.who.role in ("clerk", "supervisor"):
                    yield LangButton("staff.day_close", id="day-close", classes="nav")
                yield LangButton("visit.staff_resume", id="resume", classes="nav")
                yield LangButton("visit.staff_sync", id="sync", classes="nav")
                yield LangButton("staff.sign_out", id="sign-out", classes="nav")
                if host(self).may_end_program():
                    yield LangButton("staff.quit", id="quit", classes="nav", variant="error")

    def on_mount(self) -> None:
        self.query(LangButton).first().focus()

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if event.button.id == "day-close":
            self.post_message(self.DayCloseRequested())
        elif event.button.id == "resume":
            self.post_message(self.ResumeRequested())
        elif event.button.id == "sync":
            self.post_message(self.SyncRequested())
        elif event.button.id == "sign-out":
            self.post_message(self.SignOutRequested())
        elif event.button.id == "quit":
            host(self).end_program()

    def action_back(self) -> None:
        """Esc in staff mode signs out (staff mode is never left open behind the applicant)."""
        self.post_message(self.SignOutRequested())
