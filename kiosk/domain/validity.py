"""Validity of a certificate after each service: pure functions of dates.

Rules (DOMAIN.md, and the service guides in ../seeds):

- new: valid from the issue date to the issue date plus N years (N from 1 to 5);
- renew: extended by N years from the later of today and the old expiry, so no paid day is lost;
- replace, change, unlock, key recovery, seal: the expiry (notAfter) is kept. A change or a
  replacement of an expired certificate must be renewed in the same visit (东莞 guide: "请注意数字
  证书是否已过期，若是，请同时续期"); adding a seal to an expired certificate likewise;
- 平安采购 (``expired_renewal = "reapply"``): an expired certificate cannot be renewed, changed,
  replaced or given a seal: it must be applied for anew;
- cancel: revoked.

A certificate is valid through its ``not_after`` date (inclusive): it has expired when today is
later than ``not_after``. Adding years to 29 February lands on 28 February when the target year
is not a leap year (a certificate never runs past the date it was paid for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from kiosk.domain.types import Service
from kiosk.errors import ChoiceError, DomainError

MIN_YEARS = 1
MAX_YEARS = 5
# Online self-renewal opens this many days before expiry (and closes at expiry).
ONLINE_RENEWAL_DAYS = 90

# Services that keep notAfter but need a live certificate to work on.
_NEEDS_LIVE = frozenset({Service.CHANGE, Service.REPLACE, Service.SEAL})
D = TypeVar("D", bound=date)  # a date, or a datetime (a certificate's notAfter with its time)

_KEEPS = frozenset(
    {Service.CHANGE, Service.REPLACE, Service.SEAL, Service.UNLOCK, Service.KEY_RECOVERY}
)


class Outcome(StrEnum):
    """What a service does to the certificate's validity."""

    ISSUED = "issued"  # a new certificate: not_before .. not_after
    EXTENDED = "extended"  # renewed: a later not_after
    UNCHANGED = "unchanged"  # not_after kept
    REVOKED = "revoked"  # cancelled
    RENEW_REQUIRED = "renew_required"  # expired: renew in the same visit first
    REAPPLY_REQUIRED = "reapply_required"  # expired, and the program wants a new application
    NOT_APPLICABLE = "not_applicable"  # pickup, refund: validity is not touched


@dataclass(frozen=True, slots=True)
class ValidityResult:
    """The validity after a service, with the reason in both languages.

    Attributes:
        outcome: what happens (see :class:`Outcome`).
        not_after: the last valid day afterwards (None when revoked or not applicable).
        not_before: the first valid day of a new certificate, else None.
        expired: the existing certificate had expired on ``today`` (False for a new one).
        zh, en: one sentence for the screen / the CLI.
    """

    outcome: Outcome
    not_after: date | None
    not_before: date | None = None
    expired: bool = False
    zh: str = ""
    en: str = ""

    @property
    def allowed(self) -> bool:
        """The service can go ahead as asked (no renewal or new application needed first)."""
        return self.outcome not in (Outcome.RENEW_REQUIRED, Outcome.REAPPLY_REQUIRED)

    @property
    def requires_renewal(self) -> bool:
        """A renewal must be done in the same visit before this service."""
        return self.outcome is Outcome.RENEW_REQUIRED


def check_years(years: int) -> int:
    """Validity years (1–5), or a ChoiceError naming the range."""
    if type(years) is not int or not MIN_YEARS <= years <= MAX_YEARS:
        raise ChoiceError(
            f"years must be a whole number from {MIN_YEARS} to {MAX_YEARS} (given: {years!r})",
            code="validity.years_out_of_range",
        )
    return years


def add_years(day: D, years: int) -> D:
    """The same calendar day ``years`` later; 29 February becomes 28 February in common years.

    Works on a ``datetime`` too (the time of day is kept), for notAfter timestamps.
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # Only 29 February fails: the target year has no such day.
        return day.replace(year=day.year + years, day=28)


def is_expired(not_after: date, today: date) -> bool:
    """True when ``today`` is after the last valid day."""
    return today > not_after


def online_renewal_open(not_after: date, today: date) -> bool:
    """Online self-renewal is possible from 90 days before expiry until expiry (inclusive)."""
    return not_after - timedelta(days=ONLINE_RENEWAL_DAYS) <= today <= not_after


def new_certificate(issued_on: date, years: int) -> ValidityResult:
    """A new certificate issued on ``issued_on`` for ``years`` years."""
    check_years(years)
    end = add_years(issued_on, years)
    return ValidityResult(
        Outcome.ISSUED,
        not_after=end,
        not_before=issued_on,
        zh=f"新证书有效期至 {end.isoformat()}",
        en=f"New certificate valid until {end.isoformat()}",
    )


def renew(
    today: date, not_after: date, years: int, *, expired_renewal: str = "renew"
) -> ValidityResult:
    """Extend by ``years`` from the later of today and the old expiry.

    Args:
        today: the counter's date.
        not_after: the certificate's current last valid day.
        years: 1–5.
        expired_renewal: the program's rule: ``"renew"`` or ``"reapply"`` (平安采购).
    """
    check_years(years)
    expired = is_expired(not_after, today)
    if expired and expired_renewal == "reapply":
        return _reapply(not_after)
    end = add_years(max(today, not_after), years)
    return ValidityResult(
        Outcome.EXTENDED,
        not_after=end,
        expired=expired,
        zh=f"续期 {years} 年，有效期至 {end.isoformat()}",
        en=f"Renewed for {years} year(s): valid until {end.isoformat()}",
    )


def keep(
    service: Service, today: date, not_after: date, *, expired_renewal: str = "renew"
) -> ValidityResult:
    """Validity after a service that keeps notAfter (change, replace, unlock, key recovery, seal).

    A change, a replacement or a seal on an expired certificate is refused with
    ``RENEW_REQUIRED`` (renew in the same visit; the renewal's result then carries the new
    expiry) or, where the program says so, ``REAPPLY_REQUIRED``. Unlock and key recovery go
    ahead on an expired certificate; the result says it has expired.
    """
    if service not in _KEEPS:
        raise DomainError(f"{service.value} does not keep the validity", code="validity.service")
    expired = is_expired(not_after, today)
    end = not_after.isoformat()
    if expired and (service in _NEEDS_LIVE or expired_renewal == "reapply"):
        if expired_renewal == "reapply":
            return _reapply(not_after)
        return ValidityResult(
            Outcome.RENEW_REQUIRED,
            not_after=not_after,
            expired=True,
            zh=f"证书已于 {end} 过期：{service.zh}须同时办理续期",
            en=f"The certificate expired on {end}: renew it in the same visit "
            f"before the {service.en.lower()}",
        )
    if expired:
        return ValidityResult(
            Outcome.UNCHANGED,
            not_after=not_after,
            expired=True,
            zh=f"有效期不变（{end}，已过期，建议续期）",
            en=f"Validity unchanged ({end}, expired: renewal advised)",
        )
    return ValidityResult(
        Outcome.UNCHANGED,
        not_after=not_after,
        zh=f"有效期不变，至 {end}",
        en=f"Validity unchanged: until {end}",
    )


def after_service(
    service: Service,
    today: date,
    *,
    years: int | None = None,
    not_after: date | None = None,
    expired_renewal: str = "renew",
) -> ValidityResult:
    """The validity after any service (one entry point for screens and flows).

    Args:
        service: the service.
        today: the counter's date (issue date of a new certificate).
        years: 1–5, for new and renew.
        not_after: the existing certificate's last valid day (every service but new, pickup,
            refund).
        expired_renewal: the program's rule for expired certificates (``Program.expired_renewal``).

    Raises:
        ChoiceError: years missing or outside 1–5 for new or renew.
        DomainError: the existing certificate's expiry is needed but not given.
    """
    if service in (Service.NEW, Service.RENEW) and years is None:
        raise ChoiceError(
            f"{service.value} needs years ({MIN_YEARS}–{MAX_YEARS})",
            code="validity.years_required",
        )
    if service is Service.NEW:
        return new_certificate(today, years or 0)
    if service in (Service.PICKUP, Service.REFUND):
        return ValidityResult(Outcome.NOT_APPLICABLE, not_after=None)
    if not_after is None:
        raise DomainError(
            f"{service.value}: the certificate's expiry date is needed",
            code="validity.no_expiry",
        )
    if service is Service.CANCEL:
        return ValidityResult(
            Outcome.REVOKED,
            not_after=None,
            expired=is_expired(not_after, today),
            zh="证书及电子印章注销",
            en="Certificate and seal revoked",
        )
    if service is Service.RENEW:
        return renew(today, not_after, years or 0, expired_renewal=expired_renewal)
    return keep(service, today, not_after, expired_renewal=expired_renewal)


def _reapply(not_after: date) -> ValidityResult:
    end = not_after.isoformat()
    return ValidityResult(
        Outcome.REAPPLY_REQUIRED,
        not_after=not_after,
        expired=True,
        zh=f"证书已于 {end} 过期：本项目须按新申请重新办理",
        en=f"The certificate expired on {end}: this program requires a new application",
    )
