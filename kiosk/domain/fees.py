"""Itemised quotes in integer fen, from a program's fee table.

A quote lists what is charged and why: the key (介质) fee once, the certificate fee per year, the
seal fee per year where the program charges for seals beside the certificate, the replacement fee.
Free services and seals included in the certificate fee appear as zero lines, so the applicant sees
them on screen and on the receipt. Amounts are ``int`` fen: never floats.

Worked examples (DOMAIN.md): 东莞公积金 new + seal, 3 years = 3×200 + 3×200 = 1200 yuan;
政府采购 new 机构 3 years = 600 + 400 + 400 = 1400 yuan (200 key + 3×400); 平安 new 5 years = 1000.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.types import Kind, KindFees, Program, SealPricing, Service
from kiosk.errors import ChoiceError, DomainError

MIN_YEARS = 1
MAX_YEARS = 5

# Services charged per year of validity (the applicant chooses 1–5 years).
YEARLY_SERVICES = frozenset({Service.NEW, Service.RENEW})


@dataclass(frozen=True, slots=True)
class QuoteItem:
    """One line of a quote.

    Attributes:
        code: stable name of the line (``cert_years``, ``seal_years``, ``key_fee``,
            ``replace_fee``, ``seal_replace_fee``, ``seal_apply_years``, ``seal_included``,
            ``no_charge``); receipts and the back office key on it.
        label_en: the line as English text.
        label_zh: the line as Chinese text (the screen's first language).
        amount_fen: the line's total in fen (``quantity`` × the unit price).
        quantity: years for yearly lines, otherwise 1.
    """

    code: str
    label_en: str
    label_zh: str
    amount_fen: int
    quantity: int = 1

    def __post_init__(self) -> None:
        if type(self.amount_fen) is not int or type(self.quantity) is not int:
            raise DomainError(
                f"quote line {self.code}: amounts and quantities are whole numbers of fen",
                code="fees.not_integer",
            )
        if self.amount_fen < 0:
            raise DomainError(
                f"quote line {self.code}: negative amount {self.amount_fen} fen",
                code="fees.negative",
            )
        if self.quantity < 1 or self.amount_fen % self.quantity:
            raise DomainError(
                f"quote line {self.code}: {self.amount_fen} fen is not {self.quantity} equal units",
                code="fees.bad_quantity",
            )

    @property
    def unit_fen(self) -> int:
        """Price of one unit (one year, or the whole line when quantity is 1)."""
        return self.amount_fen // self.quantity


@dataclass(frozen=True, slots=True)
class Quote:
    """An itemised price for one service on one certificate.

    Attributes:
        items: the lines, in the order a receipt prints them.
        program_id, service, kind, years, seal: what was quoted (for receipts and records).
    """

    items: tuple[QuoteItem, ...]
    program_id: str = ""
    service: Service | None = None
    kind: Kind | None = None
    years: int | None = None
    seal: bool = False

    @property
    def total_fen(self) -> int:
        """The sum of the lines, in fen."""
        return sum(item.amount_fen for item in self.items)

    @property
    def is_free(self) -> bool:
        """True when nothing is to be paid."""
        return self.total_fen == 0


def format_fen(fen: int, *, symbol: str = "¥") -> str:
    """Fen as yuan for people: ``120000`` -> ``"¥ 1,200.00"``.

    Args:
        fen: an amount in fen (integer).
        symbol: the currency sign; receipts printed in GB18030 use the full-width ``"￥"``.
    """
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    return f"{sign}{symbol} {yuan:,}.{rest:02d}"


def takes_years(program: Program, service: Service) -> bool:
    """Whether the applicant chooses validity years for this service (the quote is per year)."""
    return service in YEARLY_SERVICES or (
        service is Service.SEAL and program.seal_pricing is SealPricing.PER_YEAR
    )


def check_years(years: int) -> int:
    """The validity years, or a ChoiceError naming the allowed range (1–5)."""
    if type(years) is not int or not MIN_YEARS <= years <= MAX_YEARS:
        raise ChoiceError(
            f"years must be a whole number from {MIN_YEARS} to {MAX_YEARS} (given: {years!r})",
            code="fees.years_out_of_range",
        )
    return years


def _choices(values: tuple[Kind, ...] | tuple[Service, ...]) -> str:
    return ", ".join(v.value for v in values)


def _kind_fees(program: Program, kind: Kind) -> KindFees:
    try:
        return program.fees[kind]
    except KeyError:
        raise DomainError(
            f"program {program.id!r} has no fee table for {kind.value!r}",
            code="fees.no_table",
        ) from None


def quote(
    program: Program,
    service: Service,
    kind: Kind,
    years: int | None = None,
    seal: bool = False,
) -> Quote:
    """Price one service on one certificate.

    Args:
        program: the program and its fee table.
        service: the service asked for.
        kind: the certificate kind.
        years: validity years (1–5); required for new and renew, and for adding a seal where the
            program charges seals per year (then it is the years the seal is charged for).
            Ignored by services that are not priced per year.
        seal: the certificate carries (or gets) an electronic seal.

    Returns:
        The itemised quote; ``total_fen`` is the sum of its lines.

    Raises:
        ChoiceError: (a UsageError and a DomainError) the program does not offer the service or
            the kind, has no seal, or years are missing or outside 1–5; the message lists the
            valid choices.
        DomainError: the program's fee table lacks the kind (a configuration fault).
    """
    if kind not in program.kinds:
        raise ChoiceError(
            f"{program.id} does not issue {kind.value!r} certificates; "
            f"valid kinds: {_choices(program.kinds)}",
            code="fees.kind_not_offered",
        )
    if service not in program.services:
        raise ChoiceError(
            f"{program.id} does not offer {service.value!r} at the counter; "
            f"valid services: {_choices(program.services)}",
            code="fees.service_not_offered",
        )
    pricing = program.seal_pricing
    if (seal or service is Service.SEAL) and pricing is SealPricing.NONE:
        raise ChoiceError(
            f"{program.id} issues no electronic seal: quote the certificate without one",
            code="fees.no_seal",
        )
    if years is not None:
        check_years(years)
    yearly = service in YEARLY_SERVICES or (
        service is Service.SEAL and pricing is SealPricing.PER_YEAR
    )
    if yearly and years is None:
        raise ChoiceError(
            f"{service.value} is priced per year: give years ({MIN_YEARS}–{MAX_YEARS})",
            code="fees.years_required",
        )
    fees = _kind_fees(program, kind)
    n = years or 0  # set whenever `yearly` (checked above); only yearly lines use it
    items: list[QuoteItem] = []
    if service is Service.NEW:
        if fees.new_key_fee:
            items.append(_key_fee(fees.new_key_fee))
        items.append(_cert_years(kind, n, fees.new_per_year, renew=False))
        if seal:
            items.append(_seal_line(pricing, n, fees.seal_new_per_year))
    elif service is Service.RENEW:
        items.append(_cert_years(kind, n, fees.renew_per_year, renew=True))
        if seal:
            items.append(_seal_line(pricing, n, fees.seal_renew_per_year))
    elif service is Service.REPLACE:
        items.append(
            QuoteItem(
                "replace_fee",
                f"Replacement of a lost or damaged key ({kind.en})",
                f"{kind.zh}补办",
                fees.replace_fee,
            )
        )
        if seal:
            if pricing is SealPricing.PER_YEAR:
                items.append(
                    QuoteItem(
                        "seal_replace_fee",
                        "Electronic seal on the replacement key",
                        "电子印章补办",
                        fees.seal_replace_fee,
                    )
                )
            else:
                items.append(_seal_included())
    elif service is Service.SEAL:
        if pricing is SealPricing.PER_YEAR:
            items.append(
                QuoteItem(
                    "seal_apply_years",
                    f"Electronic seal added to the certificate, {n} year(s)",
                    f"电子印章新增 {n} 年",
                    fees.seal_apply_per_year * n,
                    n,
                )
            )
        else:
            items.append(_seal_included())
    else:
        items.append(QuoteItem("no_charge", f"{service.en}: no charge", f"{service.zh}：免费", 0))
    return Quote(
        items=tuple(items),
        program_id=program.id,
        service=service,
        kind=kind,
        years=years if yearly else None,
        seal=seal,
    )


def _key_fee(amount: int) -> QuoteItem:
    return QuoteItem("key_fee", "USB key (medium) fee", "介质费", amount)


def _cert_years(kind: Kind, years: int, per_year: int, *, renew: bool) -> QuoteItem:
    what_en = "renewal" if renew else "service fee"
    what_zh = "续期" if renew else "服务费"
    return QuoteItem(
        "cert_years",
        f"{kind.en} certificate {what_en}, {years} year(s)",
        f"{kind.zh}{what_zh} {years} 年",
        per_year * years,
        years,
    )


def _seal_line(pricing: SealPricing, years: int, per_year: int) -> QuoteItem:
    if pricing is SealPricing.PER_YEAR:
        return QuoteItem(
            "seal_years",
            f"Electronic seal service fee, {years} year(s)",
            f"电子签章服务费 {years} 年",
            per_year * years,
            years,
        )
    return _seal_included()


def _seal_included() -> QuoteItem:
    return QuoteItem(
        "seal_included",
        "Electronic seal (included in the certificate fee)",
        "电子印章（已含在证书费用中）",
        0,
    )
