"""A large touch tile: one choice (a service, a program, a certificate kind)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.message import Message
from textual.widget import Widget

from screens.host import current_lang
from screens.i18n import Bi, Lang
from screens.widgets.text import follow_language


class ChoiceTile(Widget, can_focus=True):
    """A focusable tile: the title in the screen language, the other language beneath, and an
    optional detail line. Enter, space or a touch chooses it.

    Args:
        value: what choosing the tile means (posted with :class:`ChoiceTile.Chosen`).
        title: the tile's name in both languages.
        detail: a smaller third line.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", show=False),
        Binding("space", "choose", show=False),
    ]

    class Chosen(Message):
        """The applicant chose this tile."""

        def __init__(self, tile: ChoiceTile, value: Any) -> None:
            super().__init__()
            self.tile = tile
            self.value = value

        @property
        def control(self) -> ChoiceTile:
            """The tile that was chosen."""
            return self.tile

    def __init__(
        self,
        value: Any,
        title: Bi,
        detail: Bi | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.value = value
        self.title = title
        self.detail = detail

    def on_mount(self) -> None:
        follow_language(self, self._relabel)

    def _relabel(self, _lang: Lang) -> None:
        self.refresh()

    def render(self) -> Text:
        lang = current_lang(self)
        text = Text(justify="center", no_wrap=False)
        text.append(self.title.get(lang), style="bold")
        text.append("\n")
        text.append(self.title.other(lang), style="dim")
        if self.detail is not None:
            text.append("\n")
            text.append(self.detail.get(lang), style="italic")
        return text

    def action_choose(self) -> None:
        """Choose this tile."""
        self.post_message(self.Chosen(self, self.value))

    def on_click(self) -> None:
        self.focus()
        self.action_choose()


class TileGrid(Grid):
    """A grid of :class:`ChoiceTile` the arrow keys move through (a kiosk keypad has no Tab).

    Args:
        columns: tiles per row, as the stylesheet lays them out (``grid-size``).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1, 0)", show=False),
        Binding("right", "move(1, 0)", show=False),
        Binding("up", "move(0, -1)", show=False),
        Binding("down", "move(0, 1)", show=False),
    ]

    def __init__(
        self, *tiles: ChoiceTile, columns: int, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(*tiles, id=id, classes=classes)
        self.columns = columns

    def on_mount(self) -> None:
        self.styles.grid_size_columns = self.columns

    def action_move(self, dx: int, dy: int) -> None:
        """Focus the tile ``dx`` columns and ``dy`` rows away, if there is one."""
        tiles = list(self.query_children(ChoiceTile))
        if not tiles:
            return
        focused = self.screen.focused
        index = tiles.index(focused) if focused in tiles else 0
        target = index + dx + dy * self.columns
        if 0 <= target < len(tiles):
            # At once, not deferred like Widget.focus(): the next arrow key (a held key, or
            # keys typed faster than a busy screen redraws) moves on from this tile.
            self.screen.set_focus(tiles[target])
