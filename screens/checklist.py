"""The materials checklist for the chosen service, program and kind (kiosk.domain.materials)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, Protocol

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from kiosk.domain.types import Kind, Program, Service
from screens.base import KioskScreen
from screens.host import current_lang, host
from screens.i18n import Bi, Lang, bi, t
from screens.widgets.text import LangButton, LangText, follow_language
from screens.years import YearsChoice, YearsPicker


class Material(Protocol):
    """A material on the list, as ``kiosk.domain.materials.Material`` has it."""

    code: str
    zh: str
    en: str
    copies: int
    original: bool
    note_zh: str
    note_en: str


def material_text(number: int, m: Material, lang: Lang) -> Text:
    """One numbered line (and its note) of the checklist."""
    text = Text(no_wrap=False)
    text.append(f"{number:>2}. ", style="bold")
    text.append(m.zh if lang == "zh-CN" else m.en, style="bold")
    # copies = how many the counter keeps; original = an original is shown.
    badges: list[str] = []
    if m.original and m.copies == 0:
        badges.append(t("checklist.shown", lang))
    elif m.original:
        badges.append(t("checklist.original", lang))
    if m.copies == 1:
        badges.append(t("checklist.kept_one", lang))
    elif m.copies > 1:
        badges.append(t("checklist.kept", lang, n=m.copies))
    if badges:
        joined = "，".join(badges) if lang == "zh-CN" else ", ".join(badges)
        text.append(f"  ［{joined}］" if lang == "zh-CN" else f"  [{joined}]")
    note = m.note_zh if lang == "zh-CN" else m.note_en
    if note:
        text.append("\n    ")
        text.append(note, style="dim")
    return text


class MaterialItem(Static):
    """One material, re-rendered on a language switch."""

    def __init__(self, number: int, material: Material) -> None:
        super().__init__("", classes="material", markup=False)
        self.number = number
        self.material = material

    def on_mount(self) -> None:
        self._show(current_lang(self))
        follow_language(self, self._show)

    def _show(self, lang: Lang) -> None:
        self.update(material_text(self.number, self.material, lang))


class ChecklistScreen(KioskScreen):
    """What to bring for this service. Up/down and page keys scroll the list (the buttons
    keep the focus, so Enter still means "start over").

    Args:
        service, program, kind, seal: the applicant's choices.
        materials: the list from the counter's rules; None when the rules could not give one
            (the screen says so instead of showing an empty list as if nothing were needed).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll(-1)", show=False),
        Binding("down", "scroll(1)", show=False),
        Binding("pageup", "scroll(-10)", show=False),
        Binding("pagedown", "scroll(10)", show=False),
        # 有效期 (when the service takes years): the buttons keep the focus and Enter.
        Binding("left,minus", "years(-1)", show=False),
        Binding("right,plus", "years(1)", show=False),
        *(Binding(str(n), f"years_set({n})", show=False) for n in range(1, 10)),
    ]

    def __init__(
        self,
        service: Service,
        program: Program,
        kind: Kind,
        seal: bool,
        materials: Sequence[Material] | None,
        years: YearsChoice | None = None,
    ) -> None:
        super().__init__(name="checklist")
        self.years_choice = years
        self.service = service
        self.program = program
        self.kind = kind
        self.seal = seal
        self.materials = None if materials is None else tuple(materials)

    def compose_body(self) -> Iterable[Widget]:
        seal_zh = f" · {bi('checklist.with_seal').zh}" if self.seal else ""
        seal_en = f" · {bi('checklist.with_seal').en}" if self.seal else ""
        subject = Bi(
            f"{self.service.zh} · {self.kind.zh} · {self.program.name_zh}{seal_zh}",
            f"{self.service.en} · {self.kind.en} · {self.program.name_en}{seal_en}",
        )
        yield LangText(subject, id="subject", classes="subject")
        yield LangText("checklist.heading", id="heading", classes="heading")
        with VerticalScroll(id="materials"):
            if self.materials is None:
                yield LangText("checklist.unavailable", classes="notice")
            elif not self.materials:
                yield LangText("checklist.empty", classes="notice")
            else:
                for i, m in enumerate(self.materials, start=1):
                    yield MaterialItem(i, m)
        if self.years_choice is not None:
            yield YearsPicker(self.years_choice)
        yield LangText("checklist.next", id="next", classes="hint")
        with Horizontal(id="nav"):
            yield LangButton("nav.back", id="back", classes="nav")
            yield LangButton("nav.home", id="home", classes="nav", variant="primary")
            yield LangButton("checklist.identify", id="identify", classes="nav", variant="success")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#home"))  # at once: keys typed now go from here

    def action_scroll(self, lines: int) -> None:
        """Scroll the materials list by ``lines``."""
        self.query_one("#materials", VerticalScroll).scroll_relative(y=lines, animate=False)

    @property
    def years(self) -> int | None:
        """The validity years chosen (None: the service takes none)."""
        found = self.query(YearsPicker)
        return found.first().years if found else None

    def action_years(self, delta: int) -> None:
        """←/→: fewer or more years."""
        for picker in self.query(YearsPicker):
            picker.step(delta)

    def action_years_set(self, years: int) -> None:
        """A digit: that many years (within the range)."""
        for picker in self.query(YearsPicker):
            picker.set(years)

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        event.stop()
        if event.button.id == "back":
            self.action_back()
        elif event.button.id == "home":
            host(self).go_home()
        elif event.button.id == "identify":
            self.post_message(self.IdentifyRequested(self))

    class IdentifyRequested(Message):
        """The applicant goes on to identify the agent by ID card (the app opens that screen)."""

        def __init__(self, screen: ChecklistScreen) -> None:
            super().__init__()
            self.checklist = screen
