"""The engine's pay step with every method (kiosk.visits.paying), in-process on the stand-ins.

The same code the screen's pay step and ``kiosk visit run`` drive: a QR code opened, asked
about and paid at the payment sandbox; attempts that charged nothing free the visit for the
next one under a new key; a re-run after a crash returns the same payment (counted in the
store); a transfer holds every key service until confirmed; the unit's type and address are
checked; a renewal past five years is refused before anything is paid.
"""

from __future__ import annotations

import pytest

from kiosk.config import load_settings
from kiosk.errors import ChoiceError
from kiosk.shell.builder import build_visit_resources
from kiosk.visits import FlowError, Resources, VisitFlow, paying
from tests.flows_helpers import fresh_uscc, inputs
from tests.money_helpers import WECHAT_OK

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    r = build_visit_resources(
        load_settings(None),
        tmp_path_factory.mktemp("paying"),
        training=True,
        key_algorithm="ec-p256",
    )
    yield r
    r.close()


def _at_pay(res: Resources, **kw) -> tuple[VisitFlow, dict]:
    f = VisitFlow.open(res, service="new", program="foshan-yzt", kind="org", years=1, **kw)
    doc = inputs("org")
    while f.next_step() != "pay":
        f.run_step(f.next_step(), doc)
    return f, doc


def _count(res: Resources, f: VisitFlow) -> list[tuple[str, str, str]]:
    return [
        (p.method, p.state, p.idempotency_key) for p in res.money().payments.payments(f.visit_id)
    ]


def test_a_qr_code_is_opened_asked_about_and_paid_once(res: Resources) -> None:
    f, doc = _at_pay(res)
    shown = paying.open_qr(f, "wechat")
    assert shown.state == "pending" and shown.url.startswith("weixin://")
    again = paying.open_qr(f, "wechat")  # shown again (a resumed screen): the same trade
    assert again.payment_id == shown.payment_id and again.url == shown.url
    assert paying.status(f).state == "pending"
    with pytest.raises(FlowError) as ei:  # not paid yet: the step does not pass
        f.run_step("pay", {"payment": {"method": "wechat", "qr": True}})
    assert ei.value.code == "visit.qr_waiting"
    with pytest.raises(FlowError) as ei:  # and no other way while it is open
        f.run_step("pay", doc)
    assert ei.value.code == "visit.payment_open"
    res.money().payments.gateway.provider.simulate_scan(shown.out_trade_no)
    assert paying.status(f).state == "paid"
    f.run_step("pay", {"payment": {"method": "wechat", "qr": True}})
    assert f.state()["payment"]["state"] == "paid"
    assert _count(res, f) == [("wechat", "paid", f"{f.order_no}:pay")]
    assert f.run_all(doc)["state"] == "done"


def test_a_cancelled_attempt_frees_the_visit_for_the_next_under_a_new_key(
    res: Resources,
) -> None:
    f, _doc = _at_pay(res)
    paying.open_qr(f, "alipay")
    assert paying.cancel(f, by="0001", reason="payer left").state == "cancelled"
    # A refused 付款码 (the sandbox refuses a code ending 0003) is a second attempt, also uncharged.
    with pytest.raises(FlowError) as ei:
        f.run_step("pay", {"payment": {"method": "wechat", "reference": "134567890123450003"}})
    assert ei.value.code.startswith("payment.")
    f.run_step("pay", {"payment": {"method": "wechat", "reference": WECHAT_OK}})
    order = f.order_no
    states = _count(res, f)
    assert [s for _, s, _ in states].count("paid") == 1
    assert states[-1] == ("wechat", "paid", f"{order}:pay:3"), states
    assert states[0][2] == f"{order}:pay"


def test_a_rerun_after_a_crash_returns_the_same_payment(res: Resources) -> None:
    f, doc = _at_pay(res)
    p = paying.pay_step(f, doc)  # the money is taken, the process dies before "done"
    again = paying.pay_step(VisitFlow.resume(res, f.order_no), doc)
    assert again == p
    f.run_step("pay", doc)
    assert len(_count(res, f)) == 1


def test_a_pending_transfer_holds_the_key_until_confirmed(res: Resources) -> None:
    f, doc = _at_pay(res)
    tr = dict(doc, payment={"method": "transfer", "reference": "BANK20261122777"})
    f.run_step("pay", tr)
    assert f.state()["payment"]["state"] == "pending"
    with pytest.raises(FlowError) as ei:
        f.run_all(tr)
    assert (ei.value.code, ei.value.step) == ("visit.not_paid", "keys")
    assert f.state()["key"] is None
    pay = res.money().payments
    pay.confirm_transfer(f.state()["payment"]["id"], confirmed_by="0001")
    assert f.state()["payment"]["state"] == "paid"  # the visit reads the payment's own state
    assert f.run_all(tr)["state"] == "done"


@pytest.mark.parametrize(
    ("unit", "code"),
    [
        ({"unit_type": "factory"}, "unit.type"),
        ({"address": ""}, "address.missing"),
        ({"address": "东莞"}, "address.too_short"),
        ({"address": "Room 8, Dongguan Road"}, "address.not_chinese"),
        ({"address": "东莞市南城\n元美路8号"}, "address.bad_char"),
    ],
)
def test_the_form_refuses_a_bad_unit_type_or_address(res: Resources, unit: dict, code: str) -> None:
    f = VisitFlow.open(res, service="new", program="foshan-yzt", kind="org", years=1)
    doc = inputs("org")
    f.run_step("identify", doc)
    given = dict(doc["unit"], **unit)
    with pytest.raises(FlowError) as ei:
        f.run_step("form", {"unit": given})
    assert (ei.value.code, ei.value.step) == (code, "form")
    given.update(unit_type="institution", address="  东莞市南城街道  元美路8号 ")
    f.run_step("form", {"unit": given})
    u = f.data()["unit"]
    assert (u["unit_type"], u["address"]) == ("institution", "东莞市南城街道 元美路8号")


def test_a_renewal_past_five_years_is_refused_before_any_payment(res: Resources) -> None:
    f = VisitFlow.open(res, service="new", program="dongguan-hpf", kind="org", years=3)
    f.run_all(inputs("org", uscc=fresh_uscc()))
    with pytest.raises(ChoiceError) as ei:
        VisitFlow.open(
            res, service="renew", program="dongguan-hpf", kind="org", years=3, order=f.order_no
        )
    assert ei.value.code == "visit.renew_too_long" and "at most 2 year(s)" in ei.value.message
    ok = VisitFlow.open(
        res, service="renew", program="dongguan-hpf", kind="org", years=1, order=f.order_no
    )
    assert ok.next_step() == "identify"
