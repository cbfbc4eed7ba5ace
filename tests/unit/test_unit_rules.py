"""The unit's type and address on the form (kiosk.domain.unit), and which services take years."""

from __future__ import annotations

import pytest

from hardware.seal.rules import RuleTable
from kiosk.config import load_settings
from kiosk.domain import fees, identifiers, unit
from kiosk.domain.types import SealPricing, Service
from kiosk.errors import IdentifierError
from tests.flows_helpers import uscc_with_check


def test_the_form_offers_exactly_the_unit_types_the_seal_rules_know() -> None:
    assert set(unit.UNIT_TYPE_KEYS) == set(RuleTable.load().unit_types)
    assert unit.UNIT_TYPE_KEYS[0] == unit.DEFAULT_UNIT_TYPE == "enterprise"
    assert unit.unit_type("people_org").zh == "人民团体"


def test_an_unknown_unit_type_names_the_choices() -> None:
    with pytest.raises(IdentifierError) as ei:
        unit.unit_type("factory")
    assert ei.value.code == "unit.type" and "enterprise" in ei.value.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "address.missing"),
        ("   ", "address.missing"),
        ("东莞市", "address.too_short"),
        ("东" * 101, "address.too_long"),
        ("8 Yuanmei Road, Dongguan", "address.not_chinese"),
        ("东莞市南城\t元美路8号", "address.bad_char"),
        ("东莞市南城\n元美路8号", "address.bad_char"),
    ],
)
def test_bad_addresses_are_refused_by_name(text: str, code: str) -> None:
    with pytest.raises(IdentifierError) as ei:
        unit.parse_address(text)
    assert ei.value.code == code


def test_a_good_address_is_tidied() -> None:
    assert unit.parse_address("  东莞市南城街道   元美路8号 ") == "东莞市南城街道 元美路8号"
    assert unit.parse_address("东莞市松山湖高新区 A3 栋 1201") == "东莞市松山湖高新区 A3 栋 1201"


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("91441900MA0000001", "enterprise"),
        ("12441900MA0000001", "institution"),
        ("51441900MA0000001", "social_org"),
        ("81441900MA0000001", "people_org"),
        ("92441900MA0000001", None),  # 个体工商户: the agent chooses
        ("11441900MA0000001", None),  # 机关: the level decides the seal size; the agent chooses
    ],
)
def test_the_credit_code_suggests_a_unit_type_only_when_clear(body: str, want: str | None) -> None:
    uscc = identifiers.parse_uscc(uscc_with_check(body))
    assert unit.suggest_unit_type(uscc) == want


def test_which_services_take_years() -> None:
    s = load_settings(None)
    hpf, foshan = s.program("dongguan-hpf"), s.program("foshan-yzt")
    assert fees.takes_years(hpf, Service.NEW) and fees.takes_years(hpf, Service.RENEW)
    assert not fees.takes_years(hpf, Service.REPLACE)
    assert not fees.takes_years(hpf, Service.CHANGE)
    assert hpf.seal_pricing is SealPricing.PER_YEAR and fees.takes_years(hpf, Service.SEAL)
    assert not fees.takes_years(foshan, Service.SEAL)
