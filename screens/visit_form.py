"""The visit form's unit type (单位性质) choice: a list the keyboard drives.

Up/down move through the types (the highlighted one is the choice, so Tab keeps it too);
Enter keeps it and the visit screen moves on to the next field. The types and their names come
from ``kiosk.domain.unit`` (the same keys as the seal size rules).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kiosk.domain.unit import DEFAULT_UNIT_TYPE, UNIT_TYPE_KEYS, UNIT_TYPES, UnitType
from screens.host import current_lang
from screens.i18n import Lang
from screens.widgets.text import follow_language


def _prompt(number: int, u: UnitType, lang: Lang) -> str:
    return f"{number}. {u.zh}" if lang == "zh-CN" else f"{number}. {u.en}"


class UnitTypeList(OptionList):
    """One option per unit type; :attr:`value` is the highlighted one.

    Args:
        value: the type to start on (prefilled from an earlier visit, or suggested by the
            credit code); the usual ``enterprise`` when None.
    """

    DEFAULT_CSS = """
    UnitTypeList { height: auto; max-height: 11; width: 60; }
    """

    def __init__(self, value: str | None = None, **kw: Any) -> None:
        super().__init__(
            *(Option(_prompt(i, u, "zh-CN"), id=u.key) for i, u in enumerate(UNIT_TYPES, 1)),
            **kw,
        )
        self.value = value if value in UNIT_TYPE_KEYS else DEFAULT_UNIT_TYPE

    def on_mount(self) -> None:
        self._relabel(current_lang(self))
        follow_language(self, self._relabel)
        self.choose(self.value)

    def _relabel(self, lang: Lang) -> None:
        for i, u in enumerate(UNIT_TYPES, 1):
            self.replace_option_prompt(u.key, _prompt(i, u, lang))

    def choose(self, key: str) -> None:
        """Make ``key`` the choice (an unknown key is ignored)."""
        if key in UNIT_TYPE_KEYS:
            self.value = key
            self.highlighted = UNIT_TYPE_KEYS.index(key)

    def watch_highlighted(self, index: int | None) -> None:
        super().watch_highlighted(index)
        if index is not None and 0 <= index < len(UNIT_TYPE_KEYS):
            self.value = UNIT_TYPE_KEYS[index]
