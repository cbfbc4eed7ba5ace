"""Staff: the visits this kiosk has not finished, to continue at their next step.

A visit cleared from the screen (idle timeout, start over, a crash or a power cut) stays in the
flow engine's journal. Staff pick one here and confirm; the app reopens it at its next step.
The list is read through a port (``kiosk.visits.desk.VisitDesk.unfinished``) in a thread worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from textual import work
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget

from kiosk.errors import KioskError
from screens.base import KioskScreen
from screens.i18n import Bi, bi
from screens.widgets.text import LangButton, LangText

#: What the app says at start-up when visits wait (``{n}`` of them) for staff to resume.
OFFER_KEY = "visit.resume_offer"


class UnfinishedPort(Protocol):
    """The visits not finished (``kiosk.visits.desk.VisitDesk``)."""

    def unfinished(self) -> list[Any]: ...


class ResumeScreen(KioskScreen):
    """未完成业务: one button per unfinished visit; pressing it (staff confirm) resumes it."""

    HINTS = ("keys.back", "keys.language")

    class ResumeConfirmed(Message):
        """Staff chose to continue visit ``order``."""

        def __init__(self, order: str) -> None:
            super().__init__()
            self.order = order

    class Listed(Message):
        def __init__(self, visits: list[Any], error: str | None) -> None:
            super().__init__()
            self.visits = visits
            self.error = error

    def __init__(self, port: UnfinishedPort) -> None:
        super().__init__(name="resume")
        self.port = port

    def compose_body(self) -> Iterable[Widget]:
        yield LangText("visit.resume_heading", id="heading", classes="heading")
        yield LangText("visit.resume_hint", classes="hint")
        yield VerticalScroll(id="resume-list")
        with Horizontal(id="nav"):
            yield LangButton("nav.back", id="back", classes="nav")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            self.post_message(self.Listed(self.port.unfinished(), None))
        except KioskError as e:
            self.post_message(self.Listed([], e.message))

    async def on_resume_screen_listed(self, event: ResumeScreen.Listed) -> None:
        box = self.query_one("#resume-list", VerticalScroll)
        await box.remove_children()
        if event.error is not None:
            await box.mount(LangText(bi("visit.resume_failed").format(error=event.error)))
            return
        if not event.visits:
            await box.mount(LangText("visit.resume_none", classes="hint"))
            return
        for v in event.visits:
            step = v.next_step or "-"
            label = Bi(
                f"{v.order}　{v.service} · {v.kind} · {v.program}　下一步 {step}",
                f"{v.order}  {v.service} · {v.kind} · {v.program}  next: {step}",
            )
            await box.mount(LangButton(label, id=f"resume-{v.order}", classes="resume-item"))
        box.query(LangButton).first().focus()

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        if bid == "back":
            self.action_back()
        elif bid.startswith("resume-"):
            self.post_message(self.ResumeConfirmed(bid.removeprefix("resume-")))
