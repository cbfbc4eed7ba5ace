"""Identifier checks: resident ID number, USCC, mobile number. Each returns the parsed facts.

- 居民身份证号码 (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2 check character (0-9 or X);
  digits 1–6 the area where the number was issued, 7–14 the birth date, 15–17 the sequence
  (odd for men, even for women). The area code is NOT checked against the holder's birth year:
  it is where the number was issued, so someone born in 1958 who registered in Dongguan after
  1988 carries 441900 (python-stdnum's ``cn.ric.validate`` rejects exactly that person, so we use
  its check-digit and date helpers and not its validate()).
- 统一社会信用代码 (GB 32100-2015): 18 characters from 0-9 and A-Z without I, O, Z, S, V; the
  last is a weighted mod-31 check character (python-stdnum ``cn.uscc``). Digit 1 the
  registration department, 2 the organisation type, 3–8 the area, 9–17 the organisation code.
- Mobile numbers: 11 digits starting with 1 (a +86 prefix, spaces and hyphens are tolerated).

Every failure is an :class:`IdentifierError` with a code and a message a clerk understands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

from kiosk.errors import IdentifierError

__all__ = [
    "LONG_TERM",
    "IdentifierError",
    "ResidentId",
    "Uscc",
    "check_id_card_period",
    "parse_card_date",
    "parse_mobile",
    "parse_resident_id",
    "parse_uscc",
    "resident_id_check_char",
    "uscc_check_char",
]


# Province-level prefixes of GB/T 2260 (and 71/81/82/83 for Taiwan, Hong Kong, Macau residents'
# permits). Only the province is checked: county codes come and go, and a number keeps the code
# it was issued under.
_PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83",
    }
)  # fmt: skip
_EARLIEST_BIRTH = date(1880, 1, 1)
_SEPARATORS = re.compile(r"[\s\-]")


@dataclass(frozen=True, slots=True)
class ResidentId:
    """Facts read from a resident ID number.

    Attributes:
        number: the 18 characters, upper case.
        area_code: digits 1–6 (where the number was issued).
        birth_date: digits 7–14.
        sex: ``"M"`` or ``"F"`` from digit 17 (odd = male).
        area_name: the area's name where python-stdnum's table knows the code at any time, else
            None (informational only: never a reason to refuse).
    """

    number: str
    area_code: str
    birth_date: date
    sex: Literal["M", "F"]
    area_name: str | None = None

    def age_on(self, day: date) -> int:
        """Whole years of age on ``day``."""
        had_birthday = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if had_birthday else 1)

    @property
    def masked(self) -> str:
        """The number as screens and receipts show it: ``441900********123X``."""
        return self.number[:6] + "*" * 8 + self.number[14:]


def _clean(text: str) -> str:
    return _SEPARATORS.sub("", text).upper()


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdentifierError("need exactly 17 digits", code="id.format")
    # stdnum's helper takes the full number and ignores its last character.
    return str(_ric.calc_check_digit(first17 + "0"))


def parse_resident_id(text: str, today: date | None = None) -> ResidentId:
    """Check a resident ID number and read its facts.

    Args:
        text: the number as typed or read (spaces and hyphens ignored; x accepted for X).
        today: when given, a birth date after it is refused.

    Raises:
        IdentifierError: with code ``id.length``, ``id.format``, ``id.area``, ``id.birth_date``
            or ``id.checksum``.
    """
    number = _clean(text)
    if len(number) != 18:
        raise IdentifierError(
            f"an ID number has 18 characters; {len(number)} given", code="id.length"
        )
    if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        raise IdentifierError(
            "an ID number is 17 digits followed by a digit or X", code="id.format"
        )
    area = number[:6]
    if area[:2] not in _PROVINCES:
        raise IdentifierError(
            f"{area[:2]} is not a province code (digits 1–2 of the ID number)", code="id.area"
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(
            f"digits 7–14 ({number[6:14]}) are not a date of birth", code="id.birth_date"
        ) from None
    if born < _EARLIEST_BIRTH or (today is not None and born > today):
        raise IdentifierError(
            f"date of birth {born.isoformat()} is not possible", code="id.birth_date"
        )
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise IdentifierError(
            f"check character is {number[17]}, but the first 17 digits give {expected}: "
            "a digit was mistyped",
            code="id.checksum",
        )
    sex: Literal["M", "F"] = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number, area, born, sex, _area_name(area))


@lru_cache(maxsize=4096)
def _area_name(area: str) -> str | None:
    """The area's name from python-stdnum's GB/T 2260 table, at any time (never a refusal)."""
    try:
        from stdnum import numdb

        results = numdb.get("cn/loc").info(area)
    except Exception:  # the table is informational; a missing data file must not block a visit
        return None
    info: dict[str, str] = {}
    for _part, props in results:
        info.update(props)
    if not info:
        return None
    county = info.get("county", "")
    # Counties carry their years as "[1988-]东莞市"; keep the last name listed.
    names = [c.split("]", 1)[-1] for c in county.split(",") if c]
    parts = [info.get("province", ""), info.get("prefecture", ""), names[-1] if names else ""]
    joined = "".join(dict.fromkeys(p for p in parts if p))
    return joined or None


# GB 32100-2015 table 1: registration department -> organisation types.
_USCC_DEPTS: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "1": ("机构编制", "Establishment administration", {
        "1": ("机关", "Government agency"), "2": ("事业单位", "Public institution"),
        "3": ("中央编办直接管理机构编制的群众团体", "Mass organisation"),
        "9": ("其他", "Other")}),
    "2": ("外交", "Foreign affairs", {
        "1": ("外国常住新闻机构", "Resident foreign news agency"), "9": ("其他", "Other")}),
    "3": ("司法行政", "Justice administration", {
        "1": ("律师执业机构", "Law firm"), "2": ("公证处", "Notary office"),
        "3": ("基层法律服务所", "Legal service office"),
        "4": ("司法鉴定机构", "Forensic institution"),
        "5": ("仲裁委员会", "Arbitration commission"),
        "9": ("其他", "Other")}),
    "4": ("文化", "Culture", {
        "1": ("外国在华文化中心", "Foreign cultural centre"), "9": ("其他", "Other")}),
    "5": ("民政", "Civil affairs", {
        "1": ("社会团体", "Social organisation"),
        "2": ("民办非企业单位", "Private non-enterprise unit"),
        "3": ("基金会", "Foundation"), "9": ("其他", "Other")}),
    "6": ("旅游", "Tourism", {
        "1": ("外国旅游部门常驻代表机构", "Foreign tourism office"),
        "2": ("港澳台地区旅游部门常驻内地（大陆）代表机构", "HK/Macau/Taiwan tourism office"),
        "9": ("其他", "Other")}),
    "7": ("宗教", "Religious affairs", {
        "1": ("宗教活动场所", "Place of religious activity"), "2": ("宗教院校", "Religious school"),
        "9": ("其他", "Other")}),
    "8": ("工会", "Trade unions", {"1": ("基层工会", "Grassroots union"), "9": ("其他", "Other")}),
    "9": ("工商", "Market regulation (industry and commerce)", {
        "1": ("企业", "Enterprise"), "2": ("个体工商户", "Individual business"),
        "3": ("农民专业合作社", "Farmers' cooperative")}),
    "A": ("中央军委改革和编制办公室", "Military establishment office", {
        "1": ("军队事业单位", "Military public institution"), "9": ("其他", "Other")}),
    "N": ("农业", "Agriculture", {
        "1": ("组级集体经济组织", "Group collective economic organisation"),
        "2": ("村级集体经济组织", "Village collective economic organisation"),
        "3": ("乡镇级集体经济组织", "Township collective economic organisation"),
        "9": ("其他", "Other")}),
    "Y": ("其他", "Other", {}),
}  # fmt: skip
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True, slots=True)
class Uscc:
    """Facts read from a unified social credit code.

    Attributes:
        code: the 18 characters, upper case.
        registration_dept: character 1 (``"9"`` = market regulation, the usual one).
        registration_dept_zh/en: its name, or ``"未知"``/``"unknown"`` for codes outside GB 32100
            table 1 (a later amendment may add departments; we do not refuse on it).
        org_type: character 2; ``org_type_zh``/``en`` its name where table 1 has it.
        area_code: characters 3–8.
        org_code: characters 9–17 (the old organisation code, GB 11714).
    """

    code: str
    registration_dept: str
    registration_dept_zh: str
    registration_dept_en: str
    org_type: str
    org_type_zh: str
    org_type_en: str
    area_code: str
    org_code: str


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for 17 code characters."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise IdentifierError("need 17 characters of the credit-code alphabet", code="uscc.format")
    return str(_uscc.calc_check_digit(first17))


def parse_uscc(text: str) -> Uscc:
    """Check a unified social credit code and read its facts.

    Raises:
        IdentifierError: with code ``uscc.length``, ``uscc.format`` or ``uscc.checksum``.
    """
    code = _clean(text)
    if len(code) != 18:
        raise IdentifierError(
            f"a credit code has 18 characters; {len(code)} given", code="uscc.length"
        )
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise IdentifierError(
            f"characters {''.join(bad)!r} never occur in a credit code "
            "(only 0-9 and A-Z without I, O, Z, S, V)",
            code="uscc.format",
        )
    if not code[2:8].isdigit():
        raise IdentifierError(
            f"characters 3–8 ({code[2:8]}) must be the area's six digits", code="uscc.format"
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            f"check character is {code[17]}, but the first 17 characters give {expected}: "
            "a character was mistyped",
            code="uscc.checksum",
        )
    dept = _USCC_DEPTS.get(code[0])
    dept_zh, dept_en, types = dept if dept else ("未知", "unknown", {})
    type_zh, type_en = types.get(code[1], ("未知", "unknown"))
    return Uscc(
        code=code,
        registration_dept=code[0],
        registration_dept_zh=dept_zh,
        registration_dept_en=dept_en,
        org_type=code[1],
        org_type_zh=type_zh,
        org_type_en=type_en,
        area_code=code[2:8],
        org_code=code[8:17],
    )


_CARD_DATE = re.compile(r"^(\d{4})[.\-/]?(\d{2})[.\-/]?(\d{2})$")
LONG_TERM = "长期"


def parse_card_date(text: str) -> date | None:
    """A date printed on an ID card's validity line (``20360301``, ``2036.03.01``), or None for
    ``长期`` (long-term: no end).

    Raises:
        IdentifierError: code ``id.card_date``.
    """
    text = text.strip()
    if text == LONG_TERM:
        return None
    m = _CARD_DATE.match(text)
    try:
        if not m:
            raise ValueError(text)
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise IdentifierError(
            f"{text!r} is not a date on an ID card (YYYYMMDD or 长期)", code="id.card_date"
        ) from None


def check_id_card_period(valid_from: date, valid_until: date | None, today: date) -> None:
    """Refuse an ID card outside its validity period (the last day is still valid).

    Args:
        valid_from: first day of the card's validity.
        valid_until: last day, or None for 长期 (long-term).
        today: the counter's date.

    Raises:
        IdentifierError: code ``id.card_expired`` or ``id.card_not_yet_valid``.
    """
    if valid_until is not None and today > valid_until:
        raise IdentifierError(
            f"the ID card expired on {valid_until.isoformat()}: an expired card is not valid; "
            "ask for a valid card or the temporary ID card (临时身份证)",
            code="id.card_expired",
        )
    if today < valid_from:
        raise IdentifierError(
            f"the ID card is valid only from {valid_from.isoformat()}",
            code="id.card_not_yet_valid",
        )


_MOBILE = re.compile(r"^1\d{10}$")


def parse_mobile(text: str) -> str:
    """A mainland mobile number: 11 digits starting with 1 (``+86``/``86`` prefix dropped).

    Raises:
        IdentifierError: code ``mobile.invalid``.
    """
    number = _SEPARATORS.sub("", text)
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not _MOBILE.match(number):
        raise IdentifierError(
            f"{text!r} is not a mobile number (11 digits starting with 1)", code="mobile.invalid"
        )
    return number
