"""The screen's text catalogue: every key a screen names exists, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import screens
from kiosk.status import Device, DeviceState
from screens.i18n import CATALOGUE, t

SCREENS_DIR = Path(screens.__file__).parent
# Catalogue keys as screens name them: t("a.b", …), bi("a.b"), LangText("a.b"), HINTS, f-keys.
_KEY = re.compile(
    r"""["']((?:app|keys|nav|welcome|program|kind|checklist|device|state|hub|counter|status|training|staff|idcard|seal|sync|sim|care|visit|console|svc)\.[a-z_]+)["']"""
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _keys_named_in_screens() -> set[str]:
    found: set[str] = set()
    for path in SCREENS_DIR.rglob("*.py"):
        if path.name == "i18n.py":
            continue
        found.update(_KEY.findall(path.read_text(encoding="utf-8")))
    return found


def _keys_computed_by_the_status_bar() -> set[str]:
    return {f"device.{d.value}" for d in Device} | {f"state.{s.value}" for s in DeviceState}


def _keys_computed_by_the_visit_services() -> set[str]:
    """screens/visit_services.py builds these from the service, the replace condition, the
    RFC 5280 reason, the key's state and its PIN state."""
    from kiosk.domain.types import Service
    from screens.visit_services import CANCEL_REASONS, CONDITIONS

    keys = set()
    for s in Service:
        if s is not Service.NEW:
            name = s.value.replace("-", "_")
            keys |= {f"svc.{name}_heading", f"svc.{name}_go"}
    keys |= {f"svc.replace_{c}" for c in CONDITIONS} | {f"svc.replace_{c}_note" for c in CONDITIONS}
    keys |= {f"svc.reason_{r}" for r in CANCEL_REASONS}
    return keys


# Looked up only when the catalogue has them (other states show their code): used, not required.
_OPTIONAL = {f"svc.key_state_{s}" for s in ("active", "suspended", "lost", "damaged", "terminated")}
_OPTIONAL |= {f"svc.pin_{p}" for p in ("ok", "count_low", "final_try", "locked")}


def test_every_key_named_by_a_screen_is_in_the_catalogue() -> None:
    named = (
        _keys_named_in_screens()
        | _keys_computed_by_the_status_bar()
        | _keys_computed_by_the_visit_services()
    )
    assert len(named) > 20  # the scan itself works
    assert sorted(named - CATALOGUE.keys()) == []


def test_no_catalogue_entry_is_dead() -> None:
    used = (
        _keys_named_in_screens()
        | _keys_computed_by_the_status_bar()
        | _keys_computed_by_the_visit_services()
        | _OPTIONAL
    )
    assert sorted(CATALOGUE.keys() - used) == []


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_each_entry_has_chinese_and_english(key: str) -> None:
    entry = CATALOGUE[key]
    assert entry.zh.strip() and entry.en.strip()
    if not key.startswith("keys."):  # key hints name the other language ("F2 English")
        assert _CJK.search(entry.zh), f"{key}: zh text has no Chinese"
        assert not _CJK.search(entry.en), f"{key}: en text has Chinese"


def test_unknown_keys_fail_loudly() -> None:
    with pytest.raises(KeyError):
        t("welcome.headnig", "zh-CN")
