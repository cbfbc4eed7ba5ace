"""有效期 The validity years of a visit, chosen on the checklist before the visit opens.

The years decide the quote (per year for new, renew and a per-year seal), so they are chosen
before the flow engine opens the visit with them: the visit's progress line keeps the engine's
steps and its quote step shows the same total as here. ←/→ (or −/+, or a digit) change the
years while the buttons keep the focus, so Enter still starts the visit; ◀ ▶ answer a touch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive

from kiosk.domain.fees import format_fen
from screens.i18n import Bi, bi
from screens.widgets.text import LangButton, LangText


@dataclass(frozen=True)
class YearsChoice:
    """The years a visit may take and the price of each.

    Attributes:
        low, high: the allowed range (``kiosk.domain.fees`` MIN_YEARS–MAX_YEARS).
        default: the years shown first.
        recommended: from this many years up the choice is marked recommended (DOMAIN: 3+).
        price: ``price(years)`` the quote's total in fen (None when it cannot be quoted).
    """

    low: int
    high: int
    default: int
    recommended: int
    price: Callable[[int], int | None]


class YearsPicker(Horizontal):
    """◀ N 年 ▶ with the total for N years."""

    DEFAULT_CSS = """
    YearsPicker { height: auto; margin: 1 0 0 0; }
    YearsPicker LangButton { min-width: 5; width: 7; }
    YearsPicker #years-text { width: 1fr; padding: 1 2; text-style: bold; }
    """

    years: reactive[int] = reactive(1, init=False)

    def __init__(self, choice: YearsChoice) -> None:
        super().__init__(id="years")
        self.choice = choice
        self.set_reactive(YearsPicker.years, choice.default)

    def compose(self) -> ComposeResult:
        less = LangButton(Bi("◀", "◀"), id="years-less")
        more = LangButton(Bi("▶", "▶"), id="years-more")
        # Touch only: the keyboard changes the years with ←/→ and keeps Enter for 开始办理.
        less.can_focus = more.can_focus = False
        yield less
        yield LangText(Bi("", ""), id="years-text")
        yield more

    def on_mount(self) -> None:
        self._show()

    def watch_years(self) -> None:
        self._show()

    def step(self, delta: int) -> None:
        """Change the years by ``delta`` within the range."""
        self.set(self.years + delta)

    def set(self, years: int) -> None:
        """Choose ``years`` (kept within the range)."""
        self.years = max(self.choice.low, min(self.choice.high, years))

    def _show(self) -> None:
        fen = self.choice.price(self.years)
        total = format_fen(fen) if fen is not None else "-"
        key = (
            "checklist.years_line_recommended"
            if self.years >= self.choice.recommended
            else "checklist.years_line"
        )
        low, high = self.choice.low, self.choice.high
        self.query_one("#years-text", LangText).set_text(
            bi(key).format(years=self.years, total=total, low=low, high=high)
        )

    def on_button_pressed(self, event: LangButton.Pressed) -> None:
        if event.button.id in ("years-less", "years-more"):
            event.stop()
            self.step(-1 if event.button.id == "years-less" else 1)
