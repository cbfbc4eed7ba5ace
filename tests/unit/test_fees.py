"""Quotes: every worked example and fee-table row of DOMAIN.md, against the shipped kiosk.toml."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import default_config_text, parse_settings
from kiosk.domain.fees import Quote, QuoteItem, format_fen, quote
from kiosk.domain.types import Kind, Program, SealPricing, Service
from kiosk.errors import ChoiceError, DomainError, UsageError

SETTINGS = parse_settings(default_config_text(), "<embedded kiosk.toml>")
PROGRAMS = {p.id: p.to_domain() for p in SETTINGS.programs}
DG, GP, PA, FS = (
    PROGRAMS["dongguan-hpf"],
    PROGRAMS["gd-procurement"],
    PROGRAMS["pingan-procurement"],
    PROGRAMS["foshan-yzt"],
)
YUAN = 100


# --- the worked examples -------------------------------------------------------------------


def test_dongguan_new_with_seal_three_years_is_1200_yuan() -> None:
    q = quote(DG, Service.NEW, Kind.ORG, years=3, seal=True)
    assert q.total_fen == 1200 * YUAN
    assert [(i.code, i.quantity, i.amount_fen) for i in q.items] == [
        ("cert_years", 3, 600 * YUAN),
        ("seal_years", 3, 600 * YUAN),
    ]


def test_procurement_new_org_three_years_is_1400_yuan_with_key_fee_once() -> None:
    q = quote(GP, Service.NEW, Kind.ORG, years=3)
    assert q.total_fen == 1400 * YUAN
    assert {i.code: i.amount_fen for i in q.items} == {
        "key_fee": 200 * YUAN,
        "cert_years": 1200 * YUAN,
    }


def test_pingan_new_five_years_is_1000_yuan() -> None:
    assert quote(PA, Service.NEW, Kind.ORG, years=5).total_fen == 1000 * YUAN


# --- the other rows of the fee table -------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "service", "kind", "years", "seal", "yuan"),
    [
        # 东莞公积金: 200/year certificate, 200/year seal, replace 50 (seal free), rest free
        (DG, Service.NEW, Kind.ORG, 1, False, 200),
        (DG, Service.NEW, Kind.ORG, 5, True, 2000),
        (DG, Service.RENEW, Kind.ORG, 1, True, 400),
        (DG, Service.RENEW, Kind.ORG, 2, False, 400),
        (DG, Service.REPLACE, Kind.ORG, None, True, 50),
        (DG, Service.REPLACE, Kind.ORG, None, False, 50),
        (DG, Service.CHANGE, Kind.ORG, None, True, 0),
        (DG, Service.UNLOCK, Kind.ORG, None, True, 0),
        (DG, Service.CANCEL, Kind.ORG, None, True, 0),
        # 政府采购: first year 600/360 incl. 200 key, further years 400/160, renew per year,
        # replace 200, seal included
        (GP, Service.NEW, Kind.ORG, 1, True, 600),
        (GP, Service.NEW, Kind.ORG, 2, False, 1000),
        (GP, Service.NEW, Kind.LEGAL_REP, 1, False, 360),
        (GP, Service.NEW, Kind.LEGAL_REP, 3, True, 680),
        (GP, Service.NEW, Kind.INDIVIDUAL, 1, False, 360),
        (GP, Service.NEW, Kind.INDIVIDUAL, 5, False, 1000),
        (GP, Service.RENEW, Kind.ORG, 1, False, 400),
        (GP, Service.RENEW, Kind.ORG, 3, True, 1200),
        (GP, Service.RENEW, Kind.LEGAL_REP, 2, False, 320),
        (GP, Service.RENEW, Kind.INDIVIDUAL, 5, False, 800),
        (GP, Service.REPLACE, Kind.ORG, None, True, 200),
        (GP, Service.REPLACE, Kind.LEGAL_REP, None, False, 200),
        (GP, Service.REPLACE, Kind.INDIVIDUAL, None, False, 200),
        (GP, Service.CHANGE, Kind.LEGAL_REP, None, False, 0),
        (GP, Service.UNLOCK, Kind.INDIVIDUAL, None, False, 0),
        (GP, Service.CANCEL, Kind.ORG, None, True, 0),
        # 平安采购: 200/year new or renew, replace 200, change/unlock/online seal free
        (PA, Service.NEW, Kind.ORG, 1, True, 200),
        (PA, Service.RENEW, Kind.ORG, 5, False, 1000),
        (PA, Service.REPLACE, Kind.ORG, None, True, 200),
        (PA, Service.CHANGE, Kind.ORG, None, True, 0),
        (PA, Service.UNLOCK, Kind.ORG, None, False, 0),
        (PA, Service.SEAL, Kind.ORG, None, True, 0),
        # 佛山一证通 (GDCA): 200 per certificate per year
        (FS, Service.NEW, Kind.ORG, 1, False, 200),
        (FS, Service.NEW, Kind.ORG, 4, False, 800),
        (FS, Service.RENEW, Kind.ORG, 3, False, 600),
    ],
)
def test_fee_table_rows(
    program: Program, service: Service, kind: Kind, years: int | None, seal: bool, yuan: int
) -> None:
    assert quote(program, service, kind, years=years, seal=seal).total_fen == yuan * YUAN


def test_included_seal_shows_as_a_zero_line() -> None:
    q = quote(GP, Service.NEW, Kind.ORG, years=1, seal=True)
    assert ("seal_included", 0) in [(i.code, i.amount_fen) for i in q.items]


def test_dongguan_replace_shows_the_seal_as_free() -> None:
    q = quote(DG, Service.REPLACE, Kind.ORG, seal=True)
    assert [(i.code, i.amount_fen) for i in q.items] == [
        ("replace_fee", 50 * YUAN),
        ("seal_replace_fee", 0),
    ]


def test_adding_a_seal_in_dongguan_is_charged_per_year() -> None:
    q = quote(DG, Service.SEAL, Kind.ORG, years=2)
    assert q.total_fen == 400 * YUAN


def test_free_service_has_one_no_charge_line() -> None:
    q = quote(DG, Service.UNLOCK, Kind.ORG)
    assert q.is_free
    assert [i.code for i in q.items] == ["no_charge"]


def test_years_are_ignored_by_services_not_priced_per_year() -> None:
    assert quote(DG, Service.REPLACE, Kind.ORG, years=3).total_fen == 50 * YUAN


# --- refusals ------------------------------------------------------------------------------


def test_kind_not_offered_lists_the_programs_kinds() -> None:
    with pytest.raises(ChoiceError, match="valid kinds: org") as e:
        quote(DG, Service.NEW, Kind.INDIVIDUAL, years=1)
    assert e.value.code == "fees.kind_not_offered"


def test_service_not_offered_lists_the_programs_services() -> None:
    with pytest.raises(ChoiceError, match="valid services: new, renew, pickup, refund") as e:
        quote(FS, Service.REPLACE, Kind.ORG)
    assert e.value.code == "fees.service_not_offered"


def test_seal_where_the_program_has_none() -> None:
    with pytest.raises(ChoiceError) as e:
        quote(FS, Service.NEW, Kind.ORG, years=1, seal=True)
    assert e.value.code == "fees.no_seal"


@pytest.mark.parametrize("years", [0, 6, -1, 100])
def test_years_outside_one_to_five(years: int) -> None:
    with pytest.raises(ChoiceError, match="from 1 to 5") as e:
        quote(DG, Service.NEW, Kind.ORG, years=years)
    assert e.value.code == "fees.years_out_of_range"


@pytest.mark.parametrize("service", [Service.NEW, Service.RENEW])
def test_years_required_for_yearly_services(service: Service) -> None:
    with pytest.raises(ChoiceError) as e:
        quote(GP, service, Kind.ORG)
    assert e.value.code == "fees.years_required"


def test_choice_errors_are_both_usage_and_domain_errors() -> None:
    with pytest.raises(UsageError):
        quote(DG, Service.NEW, Kind.ORG, years=9)
    with pytest.raises(DomainError):
        quote(DG, Service.NEW, Kind.ORG, years=9)


@pytest.mark.parametrize("amount", [-1, 1.5, True])
def test_quote_lines_refuse_negative_or_fractional_amounts(amount: object) -> None:
    with pytest.raises(DomainError):
        QuoteItem("x", "x", "x", amount)  # type: ignore[arg-type]


def test_quote_line_quantity_must_divide_the_amount() -> None:
    with pytest.raises(DomainError):
        QuoteItem("cert_years", "x", "x", 1001, 3)


# --- formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"),
    [(120000, "¥ 1,200.00"), (0, "¥ 0.00"), (5, "¥ 0.05"), (123456789, "¥ 1,234,567.89")],
)
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


# --- properties over every program, service, kind and years ---------------------------------


@settings(deadline=None)
@given(
    program=st.sampled_from(sorted(PROGRAMS.values(), key=lambda p: p.id)),
    service=st.sampled_from(list(Service)),
    kind=st.sampled_from(list(Kind)),
    years=st.one_of(st.none(), st.integers(min_value=-3, max_value=8)),
    seal=st.booleans(),
)
def test_quote_totals_are_sums_of_non_negative_integer_fen(
    program: Program, service: Service, kind: Kind, years: int | None, seal: bool
) -> None:
    try:
        q = quote(program, service, kind, years=years, seal=seal)
    except ChoiceError as e:
        # Refused only for a documented reason, which is then really the case.
        offered = kind in program.kinds and service in program.services
        no_seal = (seal or service is Service.SEAL) and program.seal_pricing is SealPricing.NONE
        bad_years = years is not None and not 1 <= years <= 5
        missing_years = years is None and (
            service in (Service.NEW, Service.RENEW)
            or (service is Service.SEAL and program.seal_pricing is SealPricing.PER_YEAR)
        )
        assert not offered or no_seal or bad_years or missing_years, e.message
        return
    assert isinstance(q, Quote)
    assert q.items, "a quote always has at least one line"
    assert all(type(i.amount_fen) is int and i.amount_fen >= 0 for i in q.items)
    assert q.total_fen == sum(i.amount_fen for i in q.items)
    assert type(q.total_fen) is int and q.total_fen >= 0
    assert all(i.amount_fen == i.unit_fen * i.quantity for i in q.items)


@settings(deadline=None)
@given(
    program=st.sampled_from([DG, GP, PA, FS]),
    years=st.integers(min_value=1, max_value=4),
)
def test_one_more_year_never_costs_less(program: Program, years: int) -> None:
    kind = program.kinds[0]
    shorter = quote(program, Service.NEW, kind, years=years).total_fen
    longer = quote(program, Service.NEW, kind, years=years + 1).total_fen
    assert longer - shorter == program.fees[kind].new_per_year


def test_every_program_service_kind_years_and_seal_combination() -> None:
    """Exhaustive companion of the property above: the table is small enough to walk."""
    quoted = 0
    for program, service, kind, years, seal in itertools.product(
        PROGRAMS.values(), Service, Kind, [None, 0, 1, 2, 3, 4, 5, 6], [False, True]
    ):
        try:
            q = quote(program, service, kind, years=years, seal=seal)
        except ChoiceError:
            continue
        quoted += 1
        assert q.total_fen == sum(i.amount_fen for i in q.items) >= 0
        assert all(type(i.amount_fen) is int and i.amount_fen >= 0 for i in q.items)
    assert quoted > 300
