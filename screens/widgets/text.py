"""Text that follows the screen language: labels and buttons."""

from __future__ import annotations

from collections.abc import Callable

from textual.dom import DOMNode
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

from screens.host import current_lang
from screens.i18n import Bi, Lang, bi


def follow_language(node: DOMNode, callback: Callable[[Lang], None]) -> None:
    """Call ``callback(lang)`` whenever the app's language changes (not at once)."""
    if hasattr(node.app, "language"):
        node.watch(node.app, "language", callback, init=False)


def _as_bi(text: Bi | str) -> Bi:
    return text if isinstance(text, Bi) else bi(text)


class LangText(Static):
    """A label showing a catalogue key (or a :class:`Bi` pair) in the current language.

    Args:
        text: a catalogue key or both texts.
        values: ``{name}`` placeholders to fill.
    """

    def __init__(
        self,
        text: Bi | str,
        *,
        values: dict[str, object] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self._text = _as_bi(text)
        self._values = values or {}

    def on_mount(self) -> None:
        self._show(current_lang(self))
        follow_language(self, self._show)

    def set_text(self, text: Bi | str, values: dict[str, object] | None = None) -> None:
        """Show another text (kept across language switches)."""
        self._text = _as_bi(text)
        self._values = values or {}
        if self.is_mounted:
            self._show(current_lang(self))

    @property
    def shown(self) -> str:
        """The text as currently shown."""
        return self._text.format(**self._values).get(current_lang(self))

    def _show(self, lang: Lang) -> None:
        self.update(self._text.format(**self._values).get(lang))


class LangButton(Button):
    """A button whose label follows the current language."""

    def __init__(
        self,
        text: Bi | str,
        *,
        variant: ButtonVariant = "default",
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        self._text = _as_bi(text)
        super().__init__(
            self._text.zh,
            variant=variant,
            id=id,
            classes=classes,
            disabled=disabled,
        )

    def on_mount(self) -> None:
        self._show(current_lang(self))
        follow_language(self, self._show)

    def _show(self, lang: Lang) -> None:
        self.label = self._text.get(lang)
