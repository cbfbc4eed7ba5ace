"""Validity after each service: new, renew from the later date, keep on change, leap days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.types import Service
from kiosk.domain.validity import (
    Outcome,
    add_years,
    after_service,
    is_expired,
    keep,
    new_certificate,
    online_renewal_open,
    renew,
)
from kiosk.errors import ChoiceError, DomainError

TODAY = date(2026, 11, 21)


def test_new_certificate_runs_issue_date_plus_years() -> None:
    r = new_certificate(TODAY, 3)
    assert (r.not_before, r.not_after, r.outcome) == (TODAY, date(2029, 11, 21), Outcome.ISSUED)


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 2, 29), 5, date(2029, 2, 28)),
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
        (date(2026, 12, 31), 2, date(2028, 12, 31)),
    ],
)
def test_add_years_leap_day_lands_on_28_february(start: date, years: int, end: date) -> None:
    assert add_years(start, years) == end


def test_add_years_keeps_the_time_of_a_datetime() -> None:
    moment = datetime(2028, 2, 29, 15, 59, 59, tzinfo=UTC)
    assert add_years(moment, 1) == datetime(2029, 2, 28, 15, 59, 59, tzinfo=UTC)


def test_new_certificate_issued_on_leap_day() -> None:
    assert new_certificate(date(2028, 2, 29), 1).not_after == date(2029, 2, 28)


def test_renew_before_expiry_extends_from_old_expiry_so_no_paid_day_is_lost() -> None:
    r = renew(TODAY, date(2027, 1, 10), 2)
    assert (r.outcome, r.not_after, r.expired) == (Outcome.EXTENDED, date(2029, 1, 10), False)


def test_renew_after_expiry_extends_from_today() -> None:
    r = renew(TODAY, date(2025, 6, 30), 1)
    assert (r.outcome, r.not_after, r.expired) == (Outcome.EXTENDED, date(2027, 11, 21), True)


def test_renew_on_the_expiry_day_itself_extends_from_that_day() -> None:
    assert renew(TODAY, TODAY, 1).not_after == date(2027, 11, 21)


def test_renew_of_leap_day_expiry() -> None:
    assert renew(date(2028, 1, 5), date(2028, 2, 29), 1).not_after == date(2029, 2, 28)


def test_pingan_expired_certificate_must_be_applied_for_anew() -> None:
    r = renew(TODAY, date(2026, 11, 20), 1, expired_renewal="reapply")
    assert r.outcome is Outcome.REAPPLY_REQUIRED
    assert not r.allowed


def test_pingan_unexpired_certificate_renews_normally() -> None:
    r = renew(TODAY, TODAY, 1, expired_renewal="reapply")
    assert r.outcome is Outcome.EXTENDED


@pytest.mark.parametrize(
    "service", [Service.CHANGE, Service.REPLACE, Service.UNLOCK, Service.KEY_RECOVERY, Service.SEAL]
)
def test_services_on_a_live_certificate_keep_not_after(service: Service) -> None:
    r = keep(service, TODAY, date(2028, 3, 1))
    assert (r.outcome, r.not_after, r.allowed) == (Outcome.UNCHANGED, date(2028, 3, 1), True)


@pytest.mark.parametrize("service", [Service.CHANGE, Service.REPLACE, Service.SEAL])
def test_change_or_replace_of_an_expired_certificate_requires_renewal_in_the_same_visit(
    service: Service,
) -> None:
    r = keep(service, TODAY, date(2026, 11, 20))
    assert r.outcome is Outcome.RENEW_REQUIRED
    assert r.requires_renewal and r.expired and not r.allowed
    assert "renew" in r.en and "续期" in r.zh


@pytest.mark.parametrize("service", [Service.UNLOCK, Service.KEY_RECOVERY])
def test_unlock_of_an_expired_certificate_goes_ahead_but_says_expired(service: Service) -> None:
    r = keep(service, TODAY, date(2026, 1, 1))
    assert (r.outcome, r.expired, r.allowed) == (Outcome.UNCHANGED, True, True)


def test_pingan_change_of_expired_certificate_means_reapply() -> None:
    r = keep(Service.CHANGE, TODAY, date(2026, 1, 1), expired_renewal="reapply")
    assert r.outcome is Outcome.REAPPLY_REQUIRED


def test_expiry_day_is_still_valid() -> None:
    assert not is_expired(TODAY, TODAY)
    assert is_expired(TODAY, TODAY + timedelta(days=1))


def test_online_renewal_window_is_ninety_days_before_expiry_until_expiry() -> None:
    end = date(2027, 2, 19)
    assert online_renewal_open(end, end - timedelta(days=90))
    assert not online_renewal_open(end, end - timedelta(days=91))
    assert online_renewal_open(end, end)
    assert not online_renewal_open(end, end + timedelta(days=1))


def test_after_service_dispatches() -> None:
    assert after_service(Service.NEW, TODAY, years=1).not_after == date(2027, 11, 21)
    assert after_service(Service.CANCEL, TODAY, not_after=TODAY).outcome is Outcome.REVOKED
    assert after_service(Service.PICKUP, TODAY).outcome is Outcome.NOT_APPLICABLE
    r = after_service(Service.CHANGE, TODAY, not_after=date(2020, 1, 1))
    assert r.requires_renewal


def test_after_service_needs_the_old_expiry() -> None:
    with pytest.raises(DomainError) as e:
        after_service(Service.RENEW, TODAY, years=1)
    assert e.value.code == "validity.no_expiry"


@pytest.mark.parametrize("years", [0, 6])
def test_years_outside_one_to_five_are_refused(years: int) -> None:
    with pytest.raises(ChoiceError):
        new_certificate(TODAY, years)
    with pytest.raises(ChoiceError):
        renew(TODAY, TODAY, years)


def test_years_required_for_new() -> None:
    with pytest.raises(ChoiceError):
        after_service(Service.NEW, TODAY)


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@settings(deadline=None)
@given(today=dates, old=dates, years=st.integers(1, 5))
def test_renewal_never_loses_a_paid_day_and_adds_about_n_years(
    today: date, old: date, years: int
) -> None:
    r = renew(today, old, years)
    assert r.not_after is not None
    base = max(today, old)
    assert r.not_after > base
    # N years of 365 or 366 days, less one day when a 29 February start lands on the 28th.
    assert 365 * years - 1 <= (r.not_after - base).days <= 366 * years
