"""The unit on the application form: its type (单位性质) and its address (住所).

The unit types are the rows of the seal size rules (``hardware/seal/rules.toml``, which follows
国发〔1999〕25号 by unit type); a unit test keeps this list and that table equal, so a unit type
the form offers always has a seal rule. DOMAIN.md names the families (企业, 事业, 国家机关,
社会团体, 人民团体, 其他); state organs are split by level because their seal sizes differ.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kiosk.domain.identifiers import Uscc
from kiosk.errors import IdentifierError


@dataclass(frozen=True, slots=True)
class UnitType:
    """One unit type: its key (stored, and matched against the seal rules) and its names."""

    key: str
    zh: str
    en: str


#: Every unit type, in the order the form offers them (the usual one first).
UNIT_TYPES: tuple[UnitType, ...] = (
    UnitType("enterprise", "企业", "Enterprise"),
    UnitType("institution", "事业单位", "Public institution"),
    UnitType("social_org", "社会团体", "Social organisation"),
    UnitType("people_org", "人民团体", "People's organisation"),
    UnitType(
        "state_organ_county_gov",
        "国家机关：市、县、区人民政府",
        "State organ: city, county or district government",
    ),
    UnitType(
        "state_organ_prefecture_office",
        "国家机关：地区（盟）行政公署",
        "State organ: prefecture administrative office",
    ),
    UnitType(
        "state_organ_township_gov",
        "国家机关：乡（镇）人民政府",
        "State organ: township government",
    ),
    UnitType(
        "state_organ_internal",
        "国家机关：内设机构或直属单位",
        "State organ: internal or subordinate body",
    ),
    UnitType("other", "其他", "Other"),
)
UNIT_TYPE_KEYS: tuple[str, ...] = tuple(u.key for u in UNIT_TYPES)
DEFAULT_UNIT_TYPE = "enterprise"

ADDRESS_MIN = 6
ADDRESS_MAX = 100
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")


def unit_type(key: str) -> UnitType:
    """The unit type ``key``.

    Raises:
        IdentifierError: ``unit.type`` naming the known keys.
    """
    for u in UNIT_TYPES:
        if u.key == key:
            return u
    raise IdentifierError(
        f"unknown unit type {key!r}; one of: {', '.join(UNIT_TYPE_KEYS)}", code="unit.type"
    )


def suggest_unit_type(uscc: Uscc) -> str | None:
    """The unit type a credit code's registration department and type point to, if clear.

    Only the unambiguous cases: a 工商 enterprise, a 机构编制 public institution, a 民政 social
    organisation, a mass organisation or trade union (人民团体). The agent can always change it.
    """
    dept, kind = uscc.registration_dept, uscc.org_type
    if dept == "9" and kind == "1":
        return "enterprise"
    if dept == "1" and kind == "2":
        return "institution"
    if dept == "5" and kind == "1":
        return "social_org"
    if (dept == "1" and kind == "3") or dept == "8":
        return "people_org"
    return None


def parse_address(text: str) -> str:
    """The unit's registered address (住所), tidied: inner runs of spaces made one.

    A Chinese unit's registered address is written in Chinese characters; it names at least a
    road or village and a number, so fewer than six characters cannot be one.

    Raises:
        IdentifierError: ``address.missing``, ``address.too_short``, ``address.too_long``,
            ``address.bad_char`` (control characters, line breaks), ``address.not_chinese``.
    """
    raw = str(text or "")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in raw):
        raise IdentifierError(
            "the address holds a line break or a control character; type it on one line",
            code="address.bad_char",
        )
    addr = " ".join(raw.split())
    if not addr:
        raise IdentifierError("the unit's address is missing", code="address.missing")
    if len(addr) < ADDRESS_MIN:
        raise IdentifierError(
            f"the address {addr!r} is too short: give the full registered address "
            f"(at least {ADDRESS_MIN} characters)",
            code="address.too_short",
        )
    if len(addr) > ADDRESS_MAX:
        raise IdentifierError(
            f"the address has {len(addr)} characters; at most {ADDRESS_MAX}",
            code="address.too_long",
        )
    if len(_CJK.findall(addr)) < 2:
        raise IdentifierError(
            f"{addr!r} is not a registered address: write it in Chinese as on the business "
            "licence (市、区、路、号)",
            code="address.not_chinese",
        )
    return addr
