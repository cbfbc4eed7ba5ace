"""Taking money exactly once: states, methods, bad input, refunds, events.

Logic above the provider runs against the sandbox provider in-process (the real state model);
the printer is a stand-in address nobody prints to here (receipts only get queued).
"""

from __future__ import annotations

import pytest

from data.store import Store
from hub.payments.sandbox import SandboxProvider
from kiosk.contracts.payments import TradeState
from kiosk.errors import PaymentError, StaffError
from kiosk.payments.money import QuoteLine, SimpleQuote, parse_yuan
from kiosk.receipts.wiring import Money
from tests.money_helpers import (
    ALIPAY_OK,
    UNIT,
    WECHAT_OK,
    dg_new_quote,
    events,
    make_visit,
    wire,
)

NOWHERE = "tcp://127.0.0.1:9"  # receipts are only queued in these tests


@pytest.fixture
def sandbox() -> SandboxProvider:
    return SandboxProvider()


@pytest.fixture
def money(store: Store, sandbox: SandboxProvider) -> Money:
    return wire(store, NOWHERE, provider=sandbox)


@pytest.fixture
def visit(store: Store) -> int:
    return make_visit(store)


def code(prefix: str, suffix: str) -> str:
    """A WeChat (prefix 13, 18 digits) payment code ending in the sandbox scenario suffix."""
    return prefix + "0" * (18 - len(prefix) - len(suffix)) + suffix


# -- amounts -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "fen"), [("1200", 120000), ("1,200.5", 120050), ("￥0.01", 1), (" 88.80 ", 8880)]
)
def test_parse_yuan(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "err"),
    [
        ("12.345", "payment.fractional"),
        ("-5", "payment.not_positive"),
        ("0", "payment.not_positive"),
        ("abc", "payment.bad_amount"),
        ("NaN", "payment.bad_amount"),
    ],
)
def test_parse_yuan_refuses(text: str, err: str) -> None:
    with pytest.raises(PaymentError) as e:
        parse_yuan(text)
    assert e.value.code == err


@pytest.mark.parametrize(
    ("amount", "err"),
    [
        (-120000, "payment.not_positive"),
        (0, "payment.not_positive"),
        (1200.5, "payment.fractional"),
        ("120000", "payment.fractional"),
        (130000, "payment.over_quote"),
        (100000, "payment.amount_mismatch"),
    ],
)
def test_card_amount_must_equal_the_quote(
    money: Money, visit: int, amount: object, err: str
) -> None:
    with pytest.raises(PaymentError) as e:
        money.payments.pay_card(
            visit, dg_new_quote(), terminal_ref="T1", amount_fen=amount, staff_no="S001"
        )
    assert e.value.code == err
    assert money.payments.payments(visit) == []


# -- card ----------------------------------------------------------------------------------------
def test_card_payment_is_paid_with_transitions_receipt_and_events(
    money: Money, visit: int, store: Store
) -> None:
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="TRM-0001", amount_fen=120000, staff_no="S001"
    )
    assert (p.state, p.method, p.amount_fen, p.reference) == ("paid", "card", 120000, "TRM-0001")
    assert [(t["from_state"], t["to_state"]) for t in money.payments.transitions(p.id)] == [
        (None, "pending"),
        ("pending", "paid"),
    ]
    (job,) = money.queue.jobs(visit_id=visit)
    assert job.state == "queued" and job.receipt().reference == "TRM-0001"
    kinds = [k for k, _ in events(store.db, visit)]
    assert kinds == ["payment.created", "payment.paid"]
    assert events(store.db, visit)[1][1]["amount_fen"] == 120000


def test_second_pay_for_the_same_quote_is_refused(money: Money, visit: int) -> None:
    money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001")
    assert e.value.code == "payment.duplicate"


def test_duplicate_terminal_reference_is_refused(money: Money, store: Store) -> None:
    a, b = make_visit(store, "DG-20261121-0001"), make_visit(store, "DG-20261121-0002")
    money.payments.pay_card(
        a, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    with pytest.raises(PaymentError) as e:
        money.payments.pay_card(
            b, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
        )
    assert e.value.code == "payment.duplicate_reference"


def test_same_idempotency_key_returns_the_same_payment(
    money: Money, visit: int, sandbox: SandboxProvider
) -> None:
    first = money.payments.pay_code(
        visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001", idempotency_key="k1"
    )
    again = money.payments.pay_code(
        visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001", idempotency_key="k1"
    )
    assert again.id == first.id and again.state == "paid"
    assert [op for op, _ in sandbox.calls].count("micropay") == 1
    assert len(money.payments.payments(visit)) == 1
    assert len(money.queue.jobs(visit_id=visit)) == 1


@pytest.mark.parametrize("ref", ["", "ab", "有中文的参考号", "x" * 41])
def test_bad_terminal_reference(money: Money, visit: int, ref: str) -> None:
    with pytest.raises(PaymentError) as e:
        money.payments.pay_card(
            visit, dg_new_quote(), terminal_ref=ref, amount_fen=120000, staff_no="S001"
        )
    assert e.value.code == "payment.bad_reference"


# -- payment codes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scanned", "method"), [(WECHAT_OK + "\n", "wechat"), (ALIPAY_OK, "alipay")]
)
def test_payment_code_pays(money: Money, visit: int, scanned: str, method: str) -> None:
    p = money.payments.pay_code(visit, dg_new_quote(), scanned=scanned, staff_no="S001")
    assert (p.state, p.method) == ("paid", method)
    assert p.reference and p.out_trade_no == f"DG-20261121-0007-{p.id}"


@pytest.mark.parametrize(
    "scanned", ["", "hello", "123", "19" + "0" * 16, "13" + "0" * 20, "1234567890abcdefgh"]
)
def test_scanner_string_that_is_not_a_payment_code(
    money: Money, visit: int, scanned: str, sandbox: SandboxProvider
) -> None:
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(visit, dg_new_quote(), scanned=scanned, staff_no="S001")
    assert e.value.code == "payment.bad_code"
    assert sandbox.calls == [] and money.payments.payments(visit) == []


def test_payer_confirms_with_password_then_paid(
    money: Money, visit: int, sandbox: SandboxProvider
) -> None:
    p = money.payments.pay_code(visit, dg_new_quote(), scanned=code("13", "0001"), staff_no="S001")
    assert p.state == "paid"
    assert [op for op, _ in sandbox.calls][:2] == ["micropay", "query"]


def test_payer_who_never_confirms_is_reversed(
    money: Money, visit: int, sandbox: SandboxProvider
) -> None:
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(visit, dg_new_quote(), scanned=code("13", "0002"), staff_no="S001")
    assert e.value.code == "payment.not_confirmed"
    (p,) = money.payments.payments(visit)
    assert p.state == "cancelled"
    assert sandbox.query(p.out_trade_no).state is TradeState.REVERSED  # type: ignore[arg-type]
    assert money.queue.jobs() == []


def test_refused_code_charges_nothing_and_frees_the_quote(money: Money, visit: int) -> None:
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(visit, dg_new_quote(), scanned=code("13", "0003"), staff_no="S001")
    assert e.value.code == "payment.refused" and "NOTENOUGH" in e.value.message
    # The payer pays another way: the cancelled attempt does not block the quote.
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    assert p.state == "paid"


def test_unclear_answer_is_queried_and_found_paid(
    money: Money, visit: int, sandbox: SandboxProvider
) -> None:
    p = money.payments.pay_code(visit, dg_new_quote(), scanned=code("13", "0004"), staff_no="S001")
    assert p.state == "paid"
    ops = [op for op, _ in sandbox.calls]
    assert ops[0] == "micropay" and "query" in ops and "reverse" not in ops


def test_unclear_answer_not_paid_is_reversed(
    money: Money, visit: int, sandbox: SandboxProvider
) -> None:
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(visit, dg_new_quote(), scanned=code("13", "0005"), staff_no="S001")
    assert e.value.code == "payment.not_confirmed"
    assert [op for op, _ in sandbox.calls][-1] == "reverse"
    assert money.payments.payments(visit)[0].state == "cancelled"


def test_offline_disables_wechat_and_alipay_with_a_reason(
    money: Money, visit: int, sandbox: SandboxProvider
) -> None:
    sandbox.available = False
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001")
    assert e.value.code == "payment.provider_offline"
    methods = {m.method: m for m in money.payments.methods()}
    assert not methods["wechat"].available and not methods["alipay"].available
    assert "离线" in methods["wechat"].reason_zh
    assert methods["card"].available and methods["transfer"].available
    with pytest.raises(PaymentError) as e2:
        money.payments.pay_code(visit, dg_new_quote(), scanned=ALIPAY_OK, staff_no="S001")
    assert e2.value.code == "payment.provider_offline"
    money.payments.set_online(True)
    sandbox.available = True
    assert (
        money.payments.pay_code(visit, dg_new_quote(), scanned=ALIPAY_OK, staff_no="S001").state
        == "paid"
    )


def test_qr_on_screen_is_paid_when_the_payer_scans(
    money: Money, visit: int, sandbox: SandboxProvider
) -> None:
    p, url = money.payments.pay_qr(visit, dg_new_quote(), channel="wechat", staff_no="S001")
    assert url.startswith("weixin://") and p.state == "pending"
    assert money.payments.check(p.id).state == "pending"
    sandbox.simulate_scan(p.out_trade_no)  # type: ignore[arg-type]
    assert money.payments.check(p.id).state == "paid"
    assert len(money.queue.jobs(visit_id=visit)) == 1


def test_cancelled_qr_closes_the_trade(money: Money, visit: int, sandbox: SandboxProvider) -> None:
    p, _ = money.payments.pay_qr(visit, dg_new_quote(), channel="alipay", staff_no="S001")
    assert money.payments.cancel(p.id, by="S001", reason="payer left").state == "cancelled"
    assert sandbox.query(p.out_trade_no).state is TradeState.CLOSED  # type: ignore[arg-type]


# -- transfer ------------------------------------------------------------------------------------
def test_transfer_from_the_unit_stays_pending_until_confirmed(
    store: Store, sandbox: SandboxProvider
) -> None:
    money = wire(store, NOWHERE, provider=sandbox)
    visit = make_visit(store)
    p = money.payments.record_transfer(
        visit,
        dg_new_quote(),
        payer_name=" 东莞市网证通示例科技有限公司 ",
        bank_serial="BK20261121001",
        amount_fen=120000,
        staff_no="S001",
    )
    assert p.state == "pending" and money.queue.jobs() == []
    assert money.payments.can_issue(visit) == (False, "the bank transfer is not confirmed yet")
    paid = money.payments.confirm_transfer(p.id, confirmed_by="C001")
    assert paid.state == "paid" and money.payments.can_issue(visit)[0]
    (job,) = money.queue.jobs(visit_id=visit)
    assert job.receipt().transfer_remark == "东莞公积金证书"


def test_pending_transfer_may_allow_issuance_by_configuration(store: Store) -> None:
    money = wire(store, NOWHERE, allow_issue_on_pending_transfer=True)
    visit = make_visit(store)
    money.payments.record_transfer(
        visit,
        dg_new_quote(),
        payer_name=UNIT,
        bank_serial="BK1234",
        amount_fen=120000,
        staff_no="S001",
    )
    assert money.payments.can_issue(visit)[0]


@pytest.mark.parametrize(
    ("kind", "unit", "agent", "payer", "ok"),
    [
        ("org", UNIT, "张三", "张三", False),
        ("legal-rep", UNIT, "张三", UNIT, True),
        ("individual", None, "张三", "张三", True),
        ("individual", None, "张三", UNIT, False),
        ("org", "东莞市某某（分公司）", "张三", "东莞市某某(分公司)", True),
    ],
)
def test_transfer_payer_must_be_the_unit_or_the_applicant(
    store: Store, kind: str, unit: str | None, agent: str, payer: str, ok: bool
) -> None:
    money = wire(store, NOWHERE)
    visit = make_visit(store, kind=kind, unit_name=unit, agent_name=agent, program="gd-procurement")
    quote = SimpleQuote((QuoteLine("cert", "Certificate", "证书", 36000, 1),), 36000)
    if ok:
        assert (
            money.payments.record_transfer(
                visit,
                quote,
                payer_name=payer,
                bank_serial="BK0001",
                amount_fen=36000,
                staff_no="S001",
            ).state
            == "pending"
        )
    else:
        with pytest.raises(PaymentError) as e:
            money.payments.record_transfer(
                visit,
                quote,
                payer_name=payer,
                bank_serial="BK0001",
                amount_fen=36000,
                staff_no="S001",
            )
        assert e.value.code == "payment.payer_mismatch"


# -- refunds -------------------------------------------------------------------------------------
def test_refunds_are_new_rows_and_never_exceed_what_was_paid(
    money: Money, visit: int, sandbox: SandboxProvider, store: Store
) -> None:
    p = money.payments.pay_code(visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001")
    r1 = money.payments.refund(
        p.id, 20000, reason="seal not needed", requested_by="S001", approved_by="SUP1"
    )
    assert r1.state == "done" and r1.reference
    assert money.payments.payment(p.id).state == "partially_refunded"
    with pytest.raises(PaymentError) as e:
        money.payments.refund(p.id, 100001, reason="x", requested_by="S001", approved_by="SUP1")
    assert e.value.code == "payment.over_refund"
    money.payments.refund(p.id, 100000, reason="cancelled", requested_by="S001", approved_by="SUP1")
    after = money.payments.payment(p.id)
    assert (after.state, after.refunded_fen, after.amount_fen) == ("refunded", 120000, 120000)
    assert sandbox.query(p.out_trade_no).refunded_fen == 120000  # type: ignore[arg-type]
    assert [t["to_state"] for t in money.payments.transitions(p.id)] == [
        "pending",
        "paid",
        "partially_refunded",
        "refunded",
    ]
    assert [k for k, _ in events(store.db, visit)].count("refund.done") == 2
    with pytest.raises(PaymentError) as e2:
        money.payments.refund(p.id, 1, reason="x", requested_by="S001", approved_by="SUP1")
    assert e2.value.code == "payment.state"


@pytest.mark.parametrize(
    ("amount", "err"), [(-1, "payment.not_positive"), (0.5, "payment.fractional")]
)
def test_refund_amount_bad_input(money: Money, visit: int, amount: object, err: str) -> None:
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    with pytest.raises(PaymentError) as e:
        money.payments.refund(
            p.id, amount, reason="x", requested_by="S001", approved_by="SUP1", reference="RF0001"
        )
    assert e.value.code == err


def test_refund_needs_the_supervisor_role_and_the_domain_rule(store: Store) -> None:
    def role_check(staff_no: str, role: str) -> None:
        if staff_no != "SUP1" or role != "supervisor":
            raise StaffError(f"{staff_no} is not a {role}", code="staff.role_required")

    money = wire(store, NOWHERE)
    money.payments.role_check = role_check
    money.payments.refund_rule = lambda p: (
        "the key was activated" if p.amount_fen > 100000 else None
    )
    visit = make_visit(store)
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    with pytest.raises(StaffError):
        money.payments.refund(
            p.id, 100, reason="x", requested_by="S001", approved_by="S001", reference="RF0001"
        )
    with pytest.raises(PaymentError) as e:
        money.payments.refund(
            p.id, 100, reason="x", requested_by="S001", approved_by="SUP1", reference="RF0001"
        )
    assert e.value.code == "payment.refund_refused"
    assert money.payments.refunds(p.id) == []


def test_card_refund_records_the_terminal_reference(money: Money, visit: int) -> None:
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    with pytest.raises(PaymentError):
        money.payments.refund(p.id, 100, reason="x", requested_by="S001", approved_by="SUP1")
    r = money.payments.refund(
        p.id, 100, reason="overcharge", requested_by="S001", approved_by="SUP1", reference="RF-77"
    )
    assert r.reference == "RF-77" and money.payments.payment(p.id).refunded_fen == 100


# -- invoice and status --------------------------------------------------------------------------
def test_invoice_details_are_checked_and_sent_as_an_event(
    money: Money, visit: int, store: Store
) -> None:
    money.payments.record_invoice(
        visit,
        title=UNIT,
        taxpayer_no="91441900MA4UJ8K21H",
        phone="13800138000",
        email="finance@example.cn",
    )
    ((_kind, payload),) = [(k, p) for k, p in events(store.db, visit) if k == "invoice.requested"]
    assert (
        payload["taxpayer_no"] == "91441900MA4UJ8K21H" and payload["order_no"] == "DG-20261121-0007"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", " "),
        ("taxpayer_no", "91441900MA4UJ8K21X"),
        ("taxpayer_no", "abc"),
        ("phone", "12345"),
        ("email", "not-an-address"),
    ],
)
def test_invoice_bad_input_names_the_field(
    money: Money, visit: int, field: str, value: str
) -> None:
    fields = {
        "title": UNIT,
        "taxpayer_no": "91441900MA4UJ8K21H",
        "phone": "0769-22223333",
        "email": "a@b.cn",
        field: value,
    }
    with pytest.raises(PaymentError) as e:
        money.payments.record_invoice(visit, **fields)
    assert e.value.code == "invoice.invalid"


def test_status_reports_payments_refunds_and_receipts(money: Money, visit: int) -> None:
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    money.payments.refund(
        p.id, 20000, reason="seal", requested_by="S001", approved_by="SUP1", reference="RF0001"
    )
    s = money.payments.status(visit)
    assert s["order_no"] == "DG-20261121-0007" and s["paid_fen"] == 100000
    (pay,) = s["payments"]
    assert pay["state"] == "partially_refunded" and pay["refunds"][0]["amount_fen"] == 20000
    assert s["receipts"][0]["state"] == "queued"


def test_pays_the_domains_quote_and_applies_its_refund_rule(store: Store) -> None:
    from datetime import date

    from kiosk.domain.fees import quote
    from kiosk.domain.refund import refund_eligibility
    from kiosk.domain.types import Kind, Service
    from tests.money_helpers import settings

    program = settings().program("gd-procurement")
    q = quote(program, Service.NEW, Kind.ORG, years=3)
    assert q.total_fen == 140000  # 600 + 400 + 400 yuan (DOMAIN.md's worked example)
    money = wire(store, NOWHERE)
    # The visit flow knows delivery and activation; here: delivered 20 days ago, not activated.
    money.payments.refund_rule = lambda p: (
        None
        if (
            d := refund_eligibility(
                date(2026, 11, 21), accepted=True, delivered_on=date(2026, 11, 1)
            )
        ).eligible
        else d.en
    )
    visit = make_visit(store, program="gd-procurement")
    p = money.payments.pay_card(visit, q, terminal_ref="T0001", amount_fen=140000, staff_no="S001")
    assert money.queue.jobs(visit_id=visit)[0].receipt().total_fen == 140000
    with pytest.raises(PaymentError) as e:
        money.payments.refund(
            p.id, 140000, reason="x", requested_by="S001", approved_by="SUP1", reference="RF0001"
        )
    assert e.value.code == "payment.refund_refused"


def test_unclear_refund_stays_pending_and_a_retry_never_refunds_twice(
    money: Money, visit: int, sandbox: SandboxProvider
) -> None:
    p = money.payments.pay_code(visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001")
    sandbox.refund_unclear_once = True
    with pytest.raises(PaymentError) as e:
        money.payments.refund(p.id, 50000, reason="x", requested_by="S001", approved_by="SUP1")
    assert e.value.code == "payment.unclear"
    (pending,) = money.payments.refunds(p.id)
    assert pending.state == "pending" and money.payments.payment(p.id).state == "paid"
    # The pending refund counts against what is left: no second refund sneaks past the limit.
    with pytest.raises(PaymentError) as e2:
        money.payments.refund(p.id, 70001, reason="x", requested_by="S001", approved_by="SUP1")
    assert e2.value.code == "payment.over_refund"
    done = money.payments.retry_refund(pending.id)
    assert done.state == "done"
    assert sandbox.query(p.out_trade_no).refunded_fen == 50000  # type: ignore[arg-type]
    assert money.payments.payment(p.id).state == "partially_refunded"


def test_crash_after_saving_before_charging_is_repaired_on_retry(
    money: Money, visit: int, sandbox: SandboxProvider, store: Store
) -> None:
    """The pending row was saved, then the kiosk died before the provider heard of it."""
    from kiosk.payments.money import quote_json, quote_ref

    q = dg_new_quote()
    with store.atomic() as db:
        pid = (
            db["payments"]
            .insert(
                {
                    "visit_id": visit,
                    "idempotency_key": "k-crash",
                    "quote_ref": quote_ref(q),
                    "quote": quote_json(q),
                    "method": "wechat",
                    "amount_fen": q.total_fen,
                    "state": "pending",
                    "out_trade_no": "DG-20261121-0007-99",
                    "detail": '{"flow": "code"}',
                    "created_at": "2026-11-21T02:00:00.000000Z",
                    "updated_at": "2026-11-21T02:00:00.000000Z",
                }
            )
            .last_pk
        )
    # A second pay for the same quote is refused while the first is pending …
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(visit, q, scanned=WECHAT_OK, staff_no="S001")
    assert e.value.code == "payment.duplicate"
    # … and the retry with its key finds no trade at the provider: cancelled, nothing charged.
    with pytest.raises(PaymentError) as e2:
        money.payments.pay_code(
            visit, q, scanned=WECHAT_OK, staff_no="S001", idempotency_key="k-crash"
        )
    assert e2.value.code == "payment.cancelled"
    assert money.payments.payment(pid).state == "cancelled"
    assert [op for op, _ in sandbox.calls] == ["query"]
    # Now a fresh attempt pays.
    assert money.payments.pay_code(visit, q, scanned=WECHAT_OK, staff_no="S001").state == "paid"
