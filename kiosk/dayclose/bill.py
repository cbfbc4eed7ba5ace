"""The day close's WeChat Pay / Alipay figures from the provider's bill, through the hub.

QR money never passes the clerk's hands, so the clerk has nothing to count: the authority is
the provider's bill. When the hub answers (``HubClient.payment_bill``), its net totals replace
what was typed and every disagreement is listed; when it does not, the clerk's typed figures
stand, marked ``clerk_typed`` with the reason, so the Z-report says they were not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from kiosk.dayclose.close import Counted
from kiosk.dayclose.render import yuan
from kiosk.domain.payment import PROVIDER_METHODS
from kiosk.errors import SyncError

QR_METHODS = tuple(m.value for m in PROVIDER_METHODS)


@dataclass(frozen=True, slots=True)
class QrFigures:
    """The counted figures after asking for the bill.

    Attributes:
        counted: the figures to close with (QR methods from the bill when it answered).
        from_bill: True when the provider's bill was used.
        notes: lines for the clerk (English; the screen shows them as they are).
    """

    counted: Counted
    from_bill: bool
    notes: tuple[str, ...]


def qr_from_bill(counted: Counted, fetch: Callable[[], Mapping[str, int]]) -> QrFigures:
    """Prefill / check the WeChat Pay and Alipay figures against the provider's bill.

    Args:
        counted: the clerk's figures (QR ones may be 0: "take them from the bill").
        fetch: asks the hub, e.g. ``lambda: client.payment_bill(day)``.

    Returns:
        The figures to close with and what the clerk should read.
    """
    try:
        bill = fetch()
    except SyncError as e:
        why = f"hub not reachable: {e.message}"
        note = (
            f"QR totals: the provider's bill could not be fetched ({why}); the clerk's typed "
            "WeChat/Alipay figures are used: check them against the provider's bill later"
        )
        return QrFigures(replace(counted, qr_source=f"clerk_typed: {why}"), False, (note,))
    methods = dict(counted.methods)
    notes: list[str] = []
    for m in QR_METHODS:
        typed, billed = counted.methods.get(m, 0), int(bill[m])
        if typed and typed != billed:
            notes.append(
                f"{m}: typed {yuan(typed)}, provider bill {yuan(billed)}: the bill's figure is used"
            )
        methods[m] = billed
    notes.append(
        "QR totals from the provider's bill: "
        + ", ".join(f"{m} {yuan(methods[m])}" for m in QR_METHODS)
    )
    return QrFigures(
        replace(counted, methods=methods, qr_source="provider_bill"), True, tuple(notes)
    )
