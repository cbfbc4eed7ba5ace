"""Each payment method through the sandbox provider (in-process and over HTTP on loopback) and
the stand-in printer; the receipts are decoded and read field by field, as a person reads paper."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn

from data.store import Store
from hardware.sim.escpos_decode import Paper, decode
from hardware.sim.printer import PrinterSim
from hub.payments.routes import standalone_app
from hub.payments.sandbox import SandboxProvider
from kiosk.errors import PaymentError
from kiosk.payments.gateway import HubGateway
from kiosk.payments.service import Payment
from tests.money_helpers import (
    ALIPAY_OK,
    UNIT,
    WECHAT_OK,
    dg_new_quote,
    make_visit,
    wire,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def sim(tmp_path: Path):
    with PrinterSim(tmp_path / "printer") as s:
        yield s


class LoopbackHub:
    """The payment routes served by uvicorn on 127.0.0.1 in a thread."""

    def __init__(self, provider: SandboxProvider):
        self.provider = provider
        config = uvicorn.Config(
            standalone_app(provider), host="127.0.0.1", port=0, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LoopbackHub:
        self.thread.start()
        deadline = threading.Event()
        for _ in range(500):
            if self.server.started:
                break
            deadline.wait(0.01)
        assert self.server.started, "uvicorn did not start"
        return self

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def test_routes_refuse_an_unknown_kiosk(store: Store, sim: PrinterSim) -> None:
    async def authorize(request):  # type: ignore[no-untyped-def]
        return "DG-1" if request.headers.get("authorization") == "Bearer good" else None

    provider = SandboxProvider()
    hub = LoopbackHub(provider)
    hub.server.config.app = standalone_app(provider, authorize=authorize)
    with hub:
        bad = wire(store, sim.uri, gateway=HubGateway(hub.url, credential="bad"))
        visit = make_visit(store)
        with pytest.raises(PaymentError) as e:
            bad.payments.pay_code(visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001")
        assert e.value.code == "payment.refused" and "UNAUTHORIZED" in e.value.message
        assert provider.calls == []
        good = wire(store, sim.uri, gateway=HubGateway(hub.url, credential="good"))
        assert (
            good.payments.pay_code(visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001").state
            == "paid"
        )


@pytest.fixture
def hub():
    with LoopbackHub(SandboxProvider()) as h:
        yield h


def read_receipt(paper: Paper, p: Payment, *, method: str, payer: str, remark: str | None) -> None:
    """Check every field a person reads on the receipt."""
    lines = paper.lines
    text = "\n".join(lines)
    assert lines[0] == "广东省电子商务认证有限公司 东莞办事处"
    assert "东莞市莞城区东城西路92号通联大厦一楼电子认" in text and "证中心" in text
    assert paper.find("收费凭证 RECEIPT")
    assert not paper.find("重打")

    def value(label: str) -> str:
        line = paper.find(label)
        assert line is not None, f"no line {label!r} on the receipt:\n{text}"
        return line[len(label) :].strip()

    assert value("订单号 Order") == p.order_no
    paid = datetime.strptime(p.paid_at or "", "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert value("时间 Time") == paid.astimezone(ZoneInfo("Asia/Shanghai")).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert value("业务 Service") == "新申请"
    assert value("项目 Program") == "东莞市住房公积金"
    assert value("证书 Kind") == "机构证书 3年"
    assert lines[lines.index("付款方 Payer") + 1].strip() == payer
    assert value("证书服务费 ×3") == "￥600.00"
    assert value("电子印章 ×3") == "￥600.00"
    assert value("合计 Total") == "￥1,200.00"
    assert value("支付方式 Method") == method
    assert value("参考号 Ref") == p.reference
    assert value("状态 Status") == "已付款 Paid"
    assert value("受理员 Staff") == "S001"
    if remark:
        assert value("转账备注 Remark") == remark
    else:
        assert paper.find("转账备注") is None
    assert paper.find("服务热线 Hotline 020-89524338")
    assert paper.qr_codes == [p.order_no]
    assert len(paper.cuts) == 1
    assert all(item.chinese_mode for item in paper.items if hasattr(item, "chinese_mode"))


def _print_one(money, sim: PrinterSim) -> Paper:
    result = money.queue.run_once()
    assert len(result.printed) == 1, result
    return decode(sim.wait_for_jobs(1)[-1])


def test_card(store: Store, sim: PrinterSim) -> None:
    money = wire(store, sim.uri)
    visit = make_visit(store)
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="TRM-20261121-01", amount_fen=120000, staff_no="S001"
    )
    read_receipt(_print_one(money, sim), p, method="刷卡 Bank card", payer=UNIT, remark=None)


@pytest.mark.parametrize(
    ("scanned", "label"), [(WECHAT_OK, "微信支付 WeChat Pay"), (ALIPAY_OK, "支付宝 Alipay")]
)
def test_payment_code_over_http(
    store: Store, sim: PrinterSim, hub: LoopbackHub, scanned: str, label: str
) -> None:
    gateway = HubGateway(hub.url, credential="kiosk-test")
    money = wire(store, sim.uri, gateway=gateway)
    visit = make_visit(store)
    p = money.payments.pay_code(visit, dg_new_quote(), scanned=scanned + "\n", staff_no="S001")
    assert p.state == "paid"
    assert hub.provider.query(p.out_trade_no).state.value == "SUCCESS"  # type: ignore[arg-type]
    read_receipt(_print_one(money, sim), p, method=label, payer=UNIT, remark=None)
    gateway.close_client()


def test_unclear_then_reversed_over_http(store: Store, sim: PrinterSim, hub: LoopbackHub) -> None:
    money = wire(store, sim.uri, gateway=HubGateway(hub.url))
    visit = make_visit(store)
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(
            visit, dg_new_quote(), scanned="134567890123450005", staff_no="S001"
        )
    assert e.value.code == "payment.not_confirmed"
    ops = [op for op, _ in hub.provider.calls]
    assert ops[0] == "micropay" and ops[-1] == "reverse" and "query" in ops
    assert money.queue.jobs() == [] and sim.jobs() == []


def test_qr_over_http(store: Store, sim: PrinterSim, hub: LoopbackHub) -> None:
    gateway = HubGateway(hub.url)
    money = wire(store, sim.uri, gateway=gateway)
    visit = make_visit(store)
    p, url = money.payments.pay_qr(visit, dg_new_quote(), channel="alipay", staff_no="S001")
    assert url.startswith("https://qr.alipay.com/")
    gateway.simulate_scan(p.out_trade_no)  # type: ignore[arg-type]
    p = money.payments.check(p.id)
    read_receipt(_print_one(money, sim), p, method="支付宝 Alipay", payer=UNIT, remark=None)


def test_hub_unreachable_disables_code_payments(store: Store, sim: PrinterSim) -> None:
    money = wire(store, sim.uri, gateway=HubGateway("http://127.0.0.1:9", timeout=2))
    visit = make_visit(store)
    with pytest.raises(PaymentError) as e:
        money.payments.pay_code(visit, dg_new_quote(), scanned=WECHAT_OK, staff_no="S001")
    assert e.value.code == "payment.provider_offline"
    assert not next(m for m in money.payments.methods() if m.method == "wechat").available
    # Card still works offline and its receipt prints.
    p = money.payments.pay_card(
        visit, dg_new_quote(), terminal_ref="T0001", amount_fen=120000, staff_no="S001"
    )
    read_receipt(_print_one(money, sim), p, method="刷卡 Bank card", payer=UNIT, remark=None)


def test_transfer(store: Store, sim: PrinterSim) -> None:
    money = wire(store, sim.uri)
    visit = make_visit(store)
    p = money.payments.record_transfer(
        visit,
        dg_new_quote(),
        payer_name=UNIT,
        bank_serial="BK2026112100017",
        amount_fen=120000,
        staff_no="S001",
    )
    assert money.queue.run_once().printed == ()
    p = money.payments.confirm_transfer(p.id, confirmed_by="C001")
    read_receipt(
        _print_one(money, sim),
        p,
        method="对公转账 Bank transfer",
        payer=UNIT,
        remark="东莞公积金证书",
    )


def test_name_outside_gbk_prints_a_placeholder_and_keeps_the_data(
    store: Store, sim: PrinterSim
) -> None:
    money = wire(store, sim.uri)
    name = "东莞市䶮创科技有限公司"
    visit = make_visit(store, unit_name=name)
    p = money.payments.record_transfer(
        visit,
        dg_new_quote(),
        payer_name=name,
        bank_serial="BK0001",
        amount_fen=120000,
        staff_no="S001",
    )
    p = money.payments.confirm_transfer(p.id, confirmed_by="C001")
    paper = _print_one(money, sim)
    assert paper.find("东莞市□创科技有限公司")
    assert money.payments.payment(p.id).payer_name == name
    assert money.queue.jobs(visit_id=visit)[0].receipt().payer == name
