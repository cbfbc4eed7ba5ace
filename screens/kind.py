"""Choose the certificate kind (证书类型) among those the program offers, and whether a seal
is made with it."""

from __future__ import annotations

from collections.abc import Iterable

from textual.containers import Center, Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox

from kiosk.domain.types import Kind, Program, Service
from screens.base import KioskScreen
from screens.host import current_lang
from screens.i18n import Bi, Lang, t
from screens.widgets.text import LangButton, LangText, follow_language
from screens.widgets.tile import ChoiceTile, TileGrid


class KindScreen(KioskScreen):
    """The program's certificate kinds, one tile each.

    Args:
        service: the chosen service.
        program: the chosen program.
        seal_offered: ask whether the certificate has (or, when new, gets) an electronic seal.
        seal_default: the answer when the applicant does not change it (and when not asked).
        seal_new: word the question for a new certificate ("include a seal").
    """

    class KindChosen(Message):
        """The applicant chose a kind (and whether a seal is made)."""

        def __init__(self, service: Service, program: Program, kind: Kind, seal: bool) -> None:
            super().__init__()
            self.service = service
            self.program = program
            self.kind = kind
            self.seal = seal

    def __init__(
        self,
        service: Service,
        program: Program,
        *,
        seal_offered: bool,
        seal_default: bool,
        seal_new: bool = False,
    ) -> None:
        super().__init__(name="kind")
        self.service = service
        self.program = program
        self.seal_offered = seal_offered
        self.seal_default = seal_default
        self._seal_key = "kind.seal_new" if seal_new else "kind.seal_has"

    def compose_body(self) -> Iterable[Widget]:
        subject = Bi(
            f"{self.service.zh} · {self.program.name_zh}",
            f"{self.service.en} · {self.program.name_en}",
        )
        yield LangText(subject, id="subject", classes="subject")
        yield LangText("kind.heading", id="heading", classes="heading")
        yield TileGrid(
            *(
                ChoiceTile(k, Bi(k.zh, k.en), id=f"kind-{k.value}", classes="kind-tile")
                for k in self.program.kinds
            ),
            columns=3,
            id="kinds",
        )
        if self.seal_offered:
            with Center():
                yield Checkbox(t(self._seal_key, "zh-CN"), self.seal_default, id="seal")
            yield LangText("kind.seal_hint", id="seal-hint", classes="hint")
        with Horizontal(id="nav"):
            yield LangButton("nav.back", id="back", classes="nav")

    def on_mount(self) -> None:
        # At once (Widget.focus() is deferred): an Enter as soon as the screen shows picks.
        self.set_focus(self.query_one(ChoiceTile))
        if self.seal_offered:
            self._relabel(current_lang(self))
            follow_language(self, self._relabel)

    def _relabel(self, lang: Lang) -> None:
        self.query_one("#seal", Checkbox).label = t(self._seal_key, lang)

    @property
    def seal(self) -> bool:
        """Whether a seal is made with the certificate, as currently chosen."""
        if not self.seal_offered:
            return self.seal_default
        return self.query_one("#seal", Checkbox).value

    def on_choice_tile_chosen(self, event: ChoiceTile.Chosen) -> None:
        event.stop()
        self.post_message(self.KindChosen(self.service, self.program, event.value, self.seal))

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        if event.button.id == "back":
            event.stop()
            self.action_back()
