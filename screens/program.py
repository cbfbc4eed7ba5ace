"""Choose the program (项目) the certificate is for: only programs offering the chosen service."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget

from kiosk.domain.types import Program, Service
from screens.base import KioskScreen
from screens.i18n import Bi, bi
from screens.widgets.text import LangButton, LangText
from screens.widgets.tile import ChoiceTile, TileGrid


class ProgramScreen(KioskScreen):
    """The programs that offer ``service``, one tile each.

    Args:
        service: the service chosen on the welcome screen.
        programs: the programs that offer it, in kiosk.toml's order.
    """

    class ProgramChosen(Message):
        """The applicant chose a program."""

        def __init__(self, service: Service, program: Program) -> None:
            super().__init__()
            self.service = service
            self.program = program

    def __init__(self, service: Service, programs: Sequence[Program]) -> None:
        super().__init__(name="program")
        self.service = service
        self.programs = tuple(programs)

    def compose_body(self) -> Iterable[Widget]:
        yield LangText(Bi(self.service.zh, self.service.en), id="subject", classes="subject")
        yield LangText("program.heading", id="heading", classes="heading")
        if not self.programs:
            yield LangText("program.none", id="none", classes="notice")
        else:
            yield TileGrid(
                *(
                    ChoiceTile(
                        p,
                        Bi(p.name_zh, p.name_en),
                        bi("program.ca").format(ca=p.ca),
                        id=f"program-{p.id}",
                        classes="program-tile",
                    )
                    for p in self.programs
                ),
                columns=2,
                id="programs",
            )
        with Horizontal(id="nav"):
            yield LangButton("nav.back", id="back", classes="nav")

    def on_mount(self) -> None:
        tiles = self.query(ChoiceTile)
        # At once (Widget.focus() is deferred): an Enter as soon as the screen shows picks.
        self.set_focus(tiles.first() if tiles else self.query_one("#back"))

    def on_choice_tile_chosen(self, event: ChoiceTile.Chosen) -> None:
        event.stop()
        self.post_message(self.ProgramChosen(self.service, event.value))

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        if event.button.id == "back":
            event.stop()
            self.action_back()
