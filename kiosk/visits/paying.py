"""The visit's pay step, every method, and the QR code a payer scans on the kiosk's screen.

One source of truth for money in a visit: every payment is made through here with the visit's
current *attempt key* (``ORDER:pay`` for the first attempt) as the payment's idempotency key, so
a repeated call after a crash returns the payment the first call made, never a second charge.
An attempt that ended with nothing charged (a refused or reversed 付款码, a QR code closed or
left unpaid, a cancelled payment) frees the visit for the next attempt, ``ORDER:pay:2`` and so
on; the key moves on only once the payment under it is ``cancelled`` (the payments area cancels
only what the provider closed or reversed).

The methods, as at a counter:

- ``card``: paid on the POS terminal; the terminal reference is recorded (paid at once).
- ``wechat`` / ``alipay`` with ``reference``: the payer's 付款码 read by the scanner; charged,
  confirmed or reversed by the payments area (the code decides the channel).
- ``wechat`` / ``alipay`` with ``qr = true``: :func:`open_qr` creates the trade and the URL the
  screen shows; :func:`check` asks the provider; the pay step is run once the trade is paid (it
  checks once more itself). :func:`cancel` closes an open trade (the payer walked away, or the
  screen's wait ran out).
- ``transfer``: a bank transfer from the unit's account (the applicant's for a 自然人 visit),
  recorded ``pending``. The pay step is then done, and the key step refuses (``visit.not_paid``)
  until staff confirm the money arrived, unless ``payments.allow_issue_on_pending_transfer``.

Every function runs blocking provider calls: call them from a thread worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.domain.payment import PAYMENT_METHODS, PROVIDER_METHODS
from kiosk.errors import KioskError, VisitError
from kiosk.visits.state import FlowError, PaymentData, StepInputs, StepResult

if TYPE_CHECKING:
    from kiosk.visits.running import RunningVisit

METHODS = PAYMENT_METHODS
QR_CHANNELS = PROVIDER_METHODS
PAID = ("paid", "partially_refunded", "refunded")


def _err(message: str, code: str) -> VisitError:
    return FlowError(message, code=code, step="pay")


def _payments(flow: RunningVisit) -> Any:
    return flow.res.money().payments


def current(flow: RunningVisit) -> tuple[str, Any]:
    """The visit's attempt key and the payment made under it (None: no payment yet).

    A payment under the key that was cancelled (nothing charged) moves the visit to the next
    attempt key, journalled in the visit's data before anything is charged under it.
    """
    d = flow.visit_data()
    key = str(d.pay_key or f"{flow.order_no}:pay")
    found = [p for p in _payments(flow).payments(flow.visit_id) if p.idempotency_key == key]
    if not found:
        return key, None
    if found[0].state != "cancelled":
        return key, found[0]
    attempt = int(d.pay_attempt or 1) + 1
    key = f"{flow.order_no}:pay:{attempt}"
    with flow.res.store.atomic() as db:
        flow.set_data(db, pay_key=key, pay_attempt=attempt)
    return key, None


def _result(p: Any) -> StepResult:
    state = str(getattr(p.state, "value", p.state))
    return StepResult.of(
        {"payment_id": p.id, "state": state, "method": p.method},
        payment=PaymentData(id=p.id, state=state, method=p.method),
    )


@dataclass(frozen=True)
class PaymentStatus:
    """A payment attempt of the visit, as the pay step's screen follows it.

    Attributes:
        payment_id: the payment's id.
        state: ``pending``, ``paid``, ``cancelled`` … (the payments area's state).
        method: ``card``, ``wechat``, ``alipay`` or ``transfer``.
        qr: it is a QR code shown on the kiosk's screen.
        out_trade_no: the provider's trade number.
        reference: the terminal reference, 付款码 or bank serial.
        amount_fen: the amount.
        url: the text to show as a QR code (:func:`open_qr` only; None once paid).
    """

    payment_id: int
    state: str
    method: str
    qr: bool
    out_trade_no: str | None
    reference: str | None
    amount_fen: int
    url: str | None = None


def _describe(p: Any, url: str | None = None) -> PaymentStatus:
    return PaymentStatus(
        payment_id=p.id,
        state=str(getattr(p.state, "value", p.state)),
        method=p.method,
        qr=p.detail.get("flow") == "qr",
        out_trade_no=p.out_trade_no,
        reference=p.reference,
        amount_fen=p.amount_fen,
        url=url,
    )


def _open_refusal(p: Any) -> VisitError:
    how = "QR code" if p.detail.get("flow") == "qr" else "payment"
    return _err(
        f"a {p.method} {how} (payment #{p.id}) is still open for this visit: wait for it, or "
        "cancel it before taking the money another way",
        "visit.payment_open",
    )


def pay_step(flow: RunningVisit, inputs: StepInputs | dict[str, Any]) -> StepResult:
    """The engine's ``pay`` step (see the module's docstring for the methods).

    Raises:
        FlowError: ``visit.payment_missing`` (no or unknown method, no reference),
            ``visit.payment_open`` (another attempt is still open), ``visit.qr_waiting`` (the QR
            code is not paid yet); ``payment.*`` from the payments area.
    """
    q = flow.quote()
    if q.total_fen == 0:
        return StepResult.of({"free": True}, payment=None)
    pay = _payments(flow)
    given = StepInputs.of(inputs).payment
    method, ref, qr = given.method, given.reference, given.qr
    key, existing = current(flow)
    if existing is not None:
        state = str(getattr(existing.state, "value", existing.state))
        if state in PAID:
            return _result(existing)  # taken already (a re-run after a crash): never twice
        if existing.method == "transfer":
            return _result(existing)  # recorded; the key step waits for its confirmation
        if existing.detail.get("flow") == "qr":
            if not (qr and method == existing.method):
                raise _open_refusal(existing)
            return _qr_paid(flow, pay.check(existing.id))
        if method not in QR_CHANNELS or qr:
            raise _open_refusal(existing)
        # a 付款码 payment left unclear: pay_code with the same key reconciles it
    if method not in METHODS:
        raise _err(
            "the quote is not zero: give [payment] method = card|wechat|alipay|transfer",
            "visit.payment_missing",
        )
    staff = flow.res.staff_no
    if qr:
        if method not in QR_CHANNELS:
            raise _err(f"no QR code for {method}: only wechat or alipay", "visit.payment_missing")
        p, _url = pay.pay_qr(flow.visit_id, q, channel=method, staff_no=staff, idempotency_key=key)
        return _qr_paid(flow, pay.check(p.id))
    if not ref:
        what = {"card": "terminal reference", "transfer": "bank serial"}.get(method, "付款码")
        raise _err(f"give [payment] reference (the {what})", "visit.payment_missing")
    if method == "card":
        pm = pay.pay_card(
            flow.visit_id,
            q,
            terminal_ref=ref,
            amount_fen=q.total_fen,
            staff_no=staff,
            idempotency_key=key,
        )
    elif method == "transfer":
        pm = pay.record_transfer(
            flow.visit_id,
            q,
            payer_name=given.payer_name or transfer_payer(flow) or "-",
            bank_serial=ref,
            amount_fen=q.total_fen,
            staff_no=staff,
            idempotency_key=key,
        )
    else:
        pm = pay.pay_code(flow.visit_id, q, scanned=ref, staff_no=staff, idempotency_key=key)
    return _result(pm)


def _qr_paid(flow: RunningVisit, p: Any) -> StepResult:
    state = str(getattr(p.state, "value", p.state))
    if state in PAID:
        return _result(p)
    if state == "cancelled":
        raise _err(
            "the QR code was closed without payment (nothing charged): take the money again",
            "payment.cancelled",
        )
    raise _err("the payer has not paid the QR code yet", "visit.qr_waiting")


def transfer_payer(flow: RunningVisit) -> str:
    """Who must pay a transfer: the unit (机构, 法人代表), or the applicant (自然人)."""
    row, d = flow.row(), flow.visit_data()
    if row["kind"] == "individual":
        return str((d.agent.name if d.agent else None) or row.get("agent_name") or "")
    return str((d.unit.name if d.unit else None) or row.get("unit_name") or "")


def _at_pay(flow: RunningVisit) -> None:
    if flow.next_step() != "pay":
        raise _err(f"the visit is not at its pay step ({flow.next_step()})", "visit.out_of_order")


def open_qr(flow: RunningVisit, channel: str) -> PaymentStatus:
    """Create (or show again) the visit's QR trade for ``channel``; journalled as the pay step
    started. Returns :func:`status` of it plus ``url``, the text to show as a QR code.

    Raises:
        FlowError: ``visit.out_of_order``, ``visit.payment_missing`` (not wechat/alipay; a free
            visit), ``visit.payment_open`` (another attempt is open); ``payment.*`` (offline:
            ``payment.provider_offline``).
    """
    _at_pay(flow)
    if channel not in QR_CHANNELS:
        raise _err(f"no QR code for {channel}: only wechat or alipay", "visit.payment_missing")
    q = flow.quote()
    if q.total_fen == 0:
        raise _err("this visit is free: nothing to pay", "visit.payment_missing")
    key, existing = current(flow)
    pay = _payments(flow)
    if existing is not None:
        state = str(getattr(existing.state, "value", existing.state))
        if state in PAID:
            return _describe(existing)
        if existing.detail.get("flow") != "qr" or existing.method != channel:
            raise _open_refusal(existing)
    p, url = pay.pay_qr(
        flow.visit_id, q, channel=channel, staff_no=flow.res.staff_no, idempotency_key=key
    )
    if existing is None:
        flow.mark_step("pay", "started", {"qr": p.out_trade_no, "method": channel})
    return _describe(p, url)


def status(flow: RunningVisit, *, ask: bool = True) -> PaymentStatus | None:
    """The current attempt's payment (None: none yet); an open QR trade is asked about once
    when ``ask`` (so a paid one is recorded paid)."""
    _key, p = current(flow)
    if p is None:
        return None
    if ask and p.state == "pending" and p.detail.get("flow") == "qr":
        p = _payments(flow).check(p.id)
    return _describe(p)


def cancel(flow: RunningVisit, *, by: str, reason: str) -> PaymentStatus | None:
    """Cancel the current attempt's open payment (a QR code the payer did not pay).

    Returns:
        :func:`status` afterwards: ``cancelled``, or ``paid`` when the payer paid meanwhile
        (the provider said so while closing; then run the pay step).

    Raises:
        KioskError: ``payment.unclear`` (the provider could not say; try again).
    """
    _key, p = current(flow)
    if p is None or p.state != "pending" or p.method == "transfer":
        return None if p is None else _describe(p)
    pay = _payments(flow)
    try:
        pay.cancel(p.id, by=by, reason=reason)
    except KioskError as e:
        if e.code != "payment.already_paid":
            raise
    return _describe(pay.payment(p.id))


def confirm_transfer(
    flow: RunningVisit,
    roster: Any,
    staff_no: str,
    pin: str,
    *,
    reason: str = "seen_on_statement",
    note: str = "",
    store: Any = None,
) -> dict[str, Any]:
    """Staff confirm the visit's bank transfer arrived (on the kiosk's screen, or by the clerk
    with ``kiosk visit confirm-transfer`` for a mail-in visit): the staff member signs with
    number and PIN (the roster's lockout applies), a ``confirm_transfer`` override goes into
    the audit log, then the payment is paid and the key step may run.

    Args:
        roster: the staff roster (``kiosk.staff.roster.Roster``) that checks number and PIN.
        reason: ``seen_on_statement`` or ``voucher_checked`` (``other`` needs a ``note``).
        store: the store the audit log is in (default the visit's).

    Returns:
        The visit's state afterwards.

    Raises:
        KioskError: ``staff.*`` (wrong PIN, locked, not allowed), ``payment.state`` (no
            pending transfer), ``override.*`` (a bad reason).
    """
    from kiosk.staff import overrides

    st = flow.state()
    pay = st.get("payment") or {}
    if pay.get("method") != "transfer" or pay.get("state") != "pending":
        had = f"a {pay['state']} {pay['method']} payment" if pay else "no payment"
        raise KioskError(
            f"visit {st['order']} has no transfer waiting for confirmation (it has {had})",
            code="payment.state",
        )
    member = roster.authenticate(staff_no, pin, purpose="approve")
    overrides.request(
        store or flow.res.store,
        member,
        overrides.OverrideKind.CONFIRM_TRANSFER,
        visit_id=flow.visit_id,
        reason=overrides.Reason(reason, note),
        before={"payment_id": pay["id"], "state": "pending"},
        after={"payment_id": pay["id"], "state": "paid"},
    )
    _payments(flow).confirm_transfer(pay["id"], confirmed_by=member.staff_no, source="clerk")
    return dict(flow.state())
