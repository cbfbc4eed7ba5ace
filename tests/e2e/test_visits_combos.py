"""Every service × kind × program the shipped kiosk.toml offers, as one visit each, in-process
through the same VisitFlow code path `kiosk visit run` drives, against the stand-ins (SoftHSM2
keys, the hub with its CA on loopback, the printer capture, the payment sandbox). Results are
checked against the domain: fees, validity, key state, the receipt as decoded from the printer.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

from kiosk.config import load_settings
from kiosk.domain import fees, validity
from kiosk.domain.clock import ShiftedClock
from kiosk.domain.types import Kind, Service
from kiosk.shell.builder import build_visit_resources
from kiosk.visits import FlowError, Resources, VisitFlow
from tests.flows_helpers import combinations, inputs

pytestmark = pytest.mark.e2e

TZ = "Asia/Shanghai"


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    r = build_visit_resources(
        load_settings(None),
        tmp_path_factory.mktemp("visits"),
        training=True,
        key_algorithm="ec-p256",
    )
    yield r
    r.close()


def _today(res: Resources) -> dt.date:
    from kiosk.domain import clock

    return clock.local_today(res.now(), TZ)


def _new(
    res: Resources, program: str, kind: str, *, years: int = 1, seal: bool = False, **kw
) -> tuple[VisitFlow, dict]:
    f = VisitFlow.open(res, service="new", program=program, kind=kind, years=years, seal=seal)
    doc = inputs(kind, **kw)
    f.run_all(doc)
    return f, doc


def _not_after_local(state: dict) -> dt.date:
    from kiosk.domain import clock

    return clock.local_today(clock.from_storage(state["certificate"]["not_after"]), TZ)


def _receipt_lines(res: Resources, order: str) -> list[str]:
    lines = res.receipt_lines(order)
    assert lines is not None, f"no receipt for {order} on the printer stand-in"
    return lines


@pytest.mark.parametrize(("program", "kind", "service"), combinations())
def test_visit(res: Resources, program: str, kind: str, service: str) -> None:
    prog = res.settings.program(program)
    has_seal = bool(prog.seal_types)
    if service == "new":
        f, _ = _new(res, program, kind, years=2, seal=has_seal)
        st = f.state()
        assert st["state"] == "done", st
        q = fees.quote(prog, Service.NEW, Kind(kind), years=2, seal=has_seal)
        assert st["total_fen"] == q.total_fen
        assert st["payment"]["state"] == "paid"
        want = validity.after_service(Service.NEW, _today(res), years=2).not_after
        assert _not_after_local(st) == want
        assert st["key"]["state"] == "active"
        lines = _receipt_lines(res, st["order"])
        assert any(
            fees.format_fen(q.total_fen).replace("¥ ", "") in ln.replace("￥", "") for ln in lines
        ), lines
        rec = res.keys().repo.get(st["key"]["serial"])
        assert (rec.seal_der is not None) == has_seal
        assert "seal" in f.steps() if has_seal else "seal" not in f.steps()
        return

    if service == "pickup":
        _pickup_case(res, program, kind)
        return
    base, doc = _new(res, program, kind, years=1)
    bst = base.state()
    pin = base.pin
    assert pin, "the new visit's PIN is kept in memory for the PIN slip"
    seal = service == "seal"  # the base certificate has none: the other services keep none
    years = 1 if service in ("renew", "seal") else None
    f = VisitFlow.open(
        res,
        service=service,
        program=program,
        kind=kind,
        years=years,
        seal=True if seal else None,
        order=bst["order"],
    )
    doc2 = inputs(
        kind,
        uscc=(doc.get("unit") or {}).get("uscc"),
        pin=pin,
        seal_type=prog.seal_types[0] if prog.seal_types else "official",
    )
    if service == "pickup":
        with pytest.raises(FlowError) as ei:
            f.run_all(doc2)
        assert ei.value.code == "visit.nothing_waiting"
        assert f.state()["state"] == "failed"
        assert f.state()["next_step"] == "keys"  # resumable at the failed step
        return
    st = f.run_all(doc2)
    assert st["state"] == "done", st
    if service in ("renew", "replace", "seal"):
        q = fees.quote(prog, Service(service), Kind(kind), years=years, seal=seal)
        assert st["total_fen"] == q.total_fen
    else:
        assert st["total_fen"] == 0 and st["payment"] is None
    old_na = _not_after_local(bst)
    if service == "renew":
        assert _not_after_local(st) == validity.renew(_today(res), old_na, 1).not_after
        assert st["certificate"]["serial"] != bst["certificate"]["serial"]
    elif service == "change":
        assert _not_after_local(st) == old_na
        assert st["certificate"]["serial"] != bst["certificate"]["serial"]
    elif service == "replace":
        assert st["key"]["serial"] != bst["key"]["serial"]
        assert _not_after_local(st) == old_na  # replace keeps notAfter
        assert res.keys().repo.get(bst["key"]["serial"]).state.value == "terminated"
    elif service == "unlock":
        assert f.pin and f.pin != pin
        assert st["key"]["state"] == "active"
    elif service == "cancel":
        assert st["key"]["state"] == "terminated"
    elif service == "key-recovery":
        # the shipped kiosk.toml escrows at the hub: the encryption key comes back, the
        # signing certificate is untouched (tests/e2e/test_key_escrow.py: the "none" refusal)
        rec = res.keys().repo.get(bst["key"]["serial"])
        assert rec.enc_cert_serial and st["key"]["state"] == "active"
        assert st["certificate"]["serial"] == bst["certificate"]["serial"]
        assert st["recovered"] == {"key": "encryption", "encryption_serial": rec.enc_cert_serial}
    elif service == "seal":
        rec = res.keys().repo.get(bst["key"]["serial"])
        assert rec.seal_der is not None
        cert = x509.load_der_x509_certificate(rec.cert_der)
        assert format(cert.serial_number, "x") == bst["certificate"]["serial"]
    elif service == "refund":
        pay = res.money().payments
        p = pay.payments(base.visit_id)[0]
        assert p.refundable_fen == 0
        assert st["refund"]["amount_fen"] == bst["total_fen"] == p.amount_fen


def _later(res: Resources, days: int):
    """Move the kiosk's clock (flow and key service) ``days`` ahead; returns the undo."""
    import datetime as _dt

    shift = _dt.timedelta(days=days)
    ks = res.keys()
    old_res, old_keys = res.clock, ks.clock
    res.clock = ShiftedClock(old_res, shift)
    ks.clock = ShiftedClock(old_keys, shift)

    def undo() -> None:
        res.clock = old_res
        ks.clock = old_keys

    return undo


def test_change_of_expired_certificate_renews_in_the_same_visit(res: Resources) -> None:
    base, doc = _new(res, "dongguan-hpf", "org", years=1)
    bst, pin = base.state(), base.pin
    undo = _later(res, 400)
    try:
        f = VisitFlow.open(
            res, service="change", program="dongguan-hpf", kind="org", order=bst["order"]
        )
        assert f.steps()[-4:] == ["pay", "keys", "handover", "receipt"]
        d2 = inputs("org", uscc=doc["unit"]["uscc"], pin=pin)
        d2["unit"]["name"] = "东莞改名有限公司"
        st = f.run_all(d2)
        prog = res.settings.program("dongguan-hpf")
        assert st["renewed_in_visit"] is True
        assert st["total_fen"] == fees.quote(prog, Service.RENEW, Kind.ORG, years=1).total_fen
        assert (
            _not_after_local(st) == validity.renew(_today(res), _not_after_local(bst), 1).not_after
        )
        assert "东莞改名有限公司" in st["certificate"]["subject"]
    finally:
        undo()


@pytest.mark.parametrize("service", ["renew", "change"])
def test_expired_pingan_certificate_must_be_applied_anew(res: Resources, service: str) -> None:
    base, _ = _new(res, "pingan-procurement", "org", years=1)
    undo = _later(res, 400)
    try:
        with pytest.raises(FlowError) as ei:
            VisitFlow.open(
                res,
                service=service,
                program="pingan-procurement",
                kind="org",
                years=1 if service == "renew" else None,
                order=base.state()["order"],
            )
        assert ei.value.code == "visit.reapply"
        assert "applied for anew" in ei.value.message
    finally:
        undo()


def test_refund_outside_the_rule_is_refused(res: Resources) -> None:
    base, _ = _new(res, "dongguan-hpf", "org", years=1)
    undo = _later(res, 30)  # refund_days = 14
    try:
        f = VisitFlow.open(
            res, service="refund", program="dongguan-hpf", kind="org", order=base.state()["order"]
        )
        with pytest.raises(FlowError) as ei:
            f.run_all(inputs("org"))
        assert ei.value.code == "visit.refund_refused"
        assert res.money().payments.payments(base.visit_id)[0].refundable_fen > 0
    finally:
        undo()


def test_training_visits_and_their_events_are_marked(res: Resources) -> None:
    f, _ = _new(res, "foshan-yzt", "org", years=1)
    assert f.row()["training"] == 1
    rows = res.store.db.execute(
        "SELECT kind, payload FROM outbox WHERE visit_id = ? AND kind LIKE 'visit.%'",
        [f.order_no],
    ).fetchall()
    kinds = [k for k, _ in rows]
    assert kinds[0] == "visit.opened" and kinds[-1] == "visit.done"
    import json as _json

    assert all(_json.loads(p)["training"] is True for _, p in rows)


def test_training_events_never_reach_a_production_hub(res: Resources) -> None:
    """A worker not told it talks to a training hub (production's SyncService, `kiosk sync run`)
    quarantines every event of a training visit, the payments area's ones included."""
    import sqlite3

    from kiosk.sync.worker import SyncWorker

    res.sync_once()  # what earlier tests queued goes to the training hub first
    f, _ = _new(res, "dongguan-hpf", "org", years=1)
    ids = (f.order_no, str(f.visit_id))
    SyncWorker(res.store.db, res.client()).drain_once()  # a "production" worker
    states = {
        s
        for (s,) in res.store.db.execute(
            "SELECT state FROM outbox WHERE visit_id IN (?, ?)", ids
        ).fetchall()
    }
    assert states == {"quarantined"}
    hub = sqlite3.connect(res.base / "hub" / "hub.db")
    n = hub.execute("SELECT COUNT(*) FROM events WHERE visit_id IN (?, ?)", ids).fetchone()[0]
    assert n == 0


def _pickup_case(res: Resources, program: str, kind: str) -> None:
    """The hub is down at the new visit's certify step: the key is prepared and its request
    queued offline; the pickup visit (same agent) gets the certificate and hands the key over."""
    from kiosk.sync.client import HubClient

    issuer = res.keys().issuer
    live = issuer.hub.client
    issuer.hub.client = HubClient("http://127.0.0.1:9/api/v1", "x:y", timeout=0.5)
    try:
        f = VisitFlow.open(res, service="new", program=program, kind=kind, years=1)
        doc = inputs(kind)
        with pytest.raises(FlowError) as ei:
            f.run_all(doc)
        assert ei.value.code == "visit.offline_queued"
        assert f.state()["next_step"] == "keys"
    finally:
        issuer.hub.client = live
    other = VisitFlow.open(res, service="pickup", program=program, kind=kind, order=f.order_no)
    wrong = dict(doc, agent=dict(doc["agent"], id_number="110105194912310021"))
    with pytest.raises(FlowError) as ei:
        other.run_all(wrong)
    assert ei.value.code in ("pickup.wrong_agent", "id.checksum")
    p = VisitFlow.open(res, service="pickup", program=program, kind=kind, order=f.order_no)
    st = p.run_all(doc)
    assert st["state"] == "done"
    assert st["key"]["state"] == "active" and st["certificate"] is not None
    assert f.state()["state"] == "done"  # the earlier visit finished through the pickup
    n = res.store.db.execute(
        "SELECT COUNT(*) FROM cert_requests WHERE order_no = ? AND state = 'handed_over'",
        [f.order_no],
    ).fetchone()[0]
    assert n == 1


@pytest.mark.parametrize("method", ["wechat", "alipay"])
def test_payment_codes_through_the_sandbox(res: Resources, method: str) -> None:
    from tests.money_helpers import ALIPAY_OK, WECHAT_OK

    code = {"wechat": WECHAT_OK, "alipay": ALIPAY_OK}[method]
    f = VisitFlow.open(res, service="new", program="foshan-yzt", kind="org", years=1)
    st = f.run_all(inputs("org", method=method, ref=code))
    assert st["state"] == "done"
    assert st["payment"] == {"id": st["payment"]["id"], "state": "paid", "method": method}


def test_unconfirmed_transfer_holds_the_key_work(res: Resources) -> None:
    f = VisitFlow.open(res, service="new", program="foshan-yzt", kind="org", years=1)
    with pytest.raises(FlowError) as ei:
        f.run_all(inputs("org", method="transfer", ref="BANK20261122001"))
    assert ei.value.code == "visit.not_paid" and ei.value.step == "keys"
    assert f.state()["payment"]["state"] == "pending"
    pay = res.money().payments
    pay.confirm_transfer(f.state()["payment"]["id"], confirmed_by="0001", source="clerk")
    assert f.run_all({})["state"] == "done"  # resumed at the key step


def test_a_failing_imprint_is_refused_in_words(res: Resources) -> None:
    from tests.flows_helpers import ROOT

    f = VisitFlow.open(res, service="new", program="dongguan-hpf", kind="org", years=1, seal=True)
    doc = inputs("org")
    doc["seal_image"]["path"] = str(ROOT / "hardware/sim/imprints/bad_two_seals.jpg")
    with pytest.raises(FlowError) as ei:
        f.run_all(doc)
    assert ei.value.code == "seal.check_failed" and ei.value.step == "seal"
    assert "take a new photo" in ei.value.message


def test_unit_data_is_prefilled_from_an_earlier_visit(res: Resources) -> None:
    _, doc = _new(res, "foshan-yzt", "org", years=1)
    f2 = VisitFlow.open(res, service="new", program="foshan-yzt", kind="org", years=1)
    doc2 = inputs("org")
    doc2["unit"] = {"uscc": doc["unit"]["uscc"]}  # only the code typed
    f2.run_all(doc2)
    assert f2.data()["unit"]["name"] == doc["unit"]["name"]


@pytest.mark.parametrize("service", ["renew", "unlock", "cancel"])
def test_an_individual_certificate_is_served_for_its_holder_only(
    res: Resources, service: str
) -> None:
    base, _ = _new(res, "gd-procurement", "individual", years=1)
    f = VisitFlow.open(
        res,
        service=service,
        program="gd-procurement",
        kind="individual",
        years=1 if service == "renew" else None,
        order=base.state()["order"],
    )
    other = inputs("individual", pin=base.pin)
    # Another person (a valid ID number of someone else, same name as the holder).
    other["agent"] = {**other["agent"], "id_number": "44190019580101001X"}
    with pytest.raises(FlowError) as ei:
        f.run_all(other)
    assert ei.value.code == "visit.not_holder" and ei.value.step == "identify"
    st = f.state()
    assert st["next_step"] == "identify" and st["payment"] is None  # nothing paid, nothing done
    # The holder in person goes on with the same visit.
    assert f.run_all(inputs("individual", pin=base.pin))["state"] == "done"


def test_a_renewal_renews_the_seal_with_its_certificate_without_a_new_imprint(res) -> None:
    """DOMAIN: the seal's validity is the certificate's, and the imprint is taken only where a
    seal is made. A renewal of a certificate with a seal reads the seal from the key, charges
    its years where the program does (东莞: 200 + 200 a year) and re-binds it to the new
    certificate; a file's ``seal`` that contradicts the key is refused in words."""
    from kiosk.contracts.sealobj import parse_seal
    from kiosk.errors import ChoiceError

    base, doc = _new(res, "dongguan-hpf", "org", years=1, seal=True)
    bst = base.state()
    with pytest.raises(ChoiceError) as ei:
        VisitFlow.open(
            res,
            service="renew",
            program="dongguan-hpf",
            kind="org",
            years=1,
            seal=False,
            order=bst["order"],
        )
    assert ei.value.code == "visit.seal_mismatch" and "carries an electronic seal" in str(ei.value)

    f = VisitFlow.open(
        res, service="renew", program="dongguan-hpf", kind="org", years=1, order=bst["order"]
    )
    assert "seal" not in f.steps() and f.data()["seal"] is True
    doc2 = inputs("org", uscc=doc["unit"]["uscc"], pin=base.pin)
    del doc2["seal_image"]  # no imprint is asked
    st = f.run_all(doc2)
    assert st["state"] == "done", st
    q = fees.quote(
        res.settings.program("dongguan-hpf"), Service.RENEW, Kind.ORG, years=1, seal=True
    )
    assert st["total_fen"] == q.total_fen == 40_000  # 200 yuan certificate + 200 yuan seal
    rec = res.keys().repo.get(st["key"]["serial"])
    assert rec.seal_der is not None
    seal = parse_seal(rec.seal_der)
    assert rec.cert_der in seal.certs  # bound to the renewed certificate
    assert seal.valid_end.date() == clock_utc(st["certificate"]["not_after"]).date()

    # a certificate without a seal: a renewal does not make one
    plain, _ = _new(res, "dongguan-hpf", "org", years=1)
    with pytest.raises(ChoiceError) as ei:
        VisitFlow.open(
            res,
            service="renew",
            program="dongguan-hpf",
            kind="org",
            years=1,
            seal=True,
            order=plain.state()["order"],
        )
    assert ei.value.code == "visit.seal_mismatch" and 'service = "seal"' in str(ei.value)


def clock_utc(stored: str) -> dt.datetime:
    from kiosk.domain import clock

    return clock.from_storage(stored).astimezone(dt.UTC)


def test_a_change_of_an_expired_certificate_with_a_seal_renews_both(res: Resources) -> None:
    """The change renews in the same visit (renew_first): the seal's year is charged too, and
    the screen's quote (VisitFlow.quote) is the renewal's, not a free change's."""
    base, doc = _new(res, "dongguan-hpf", "org", years=1, seal=True)
    bst = base.state()
    undo = _later(res, 400)
    try:
        f = VisitFlow.open(
            res, service="change", program="dongguan-hpf", kind="org", order=bst["order"]
        )
        assert "seal" not in f.steps() and f.data()["seal"] is True
        q = f.quote()
        assert q.total_fen == 40_000 and len(q.items) == 2  # certificate + seal, one year
        d2 = inputs("org", uscc=doc["unit"]["uscc"], pin=base.pin)
        del d2["seal_image"]
        st = f.run_all(d2)
        assert st["state"] == "done" and st["total_fen"] == 40_000
        assert res.keys().repo.get(st["key"]["serial"]).seal_der is not None
    finally:
        undo()


def test_a_service_on_an_earlier_visit_without_a_key_is_refused_when_opened(res) -> None:
    """Before anything is quoted or paid (it used to fail at the key step, after payment)."""
    unfinished = VisitFlow.open(res, service="new", program="dongguan-hpf", kind="org", years=1)
    for service in ("renew", "replace", "unlock", "seal"):
        with pytest.raises(FlowError) as ei:
            VisitFlow.open(
                res,
                service=service,
                program="dongguan-hpf",
                kind="org",
                years=1 if service in ("renew", "seal") else None,
                order=unfinished.order_no,
            )
        assert ei.value.code == "visit.no_key", service
        assert f"kiosk visit resume {unfinished.order_no}" in ei.value.message


def test_a_seal_added_while_a_renewal_waits_is_not_re_bound_unpaid(res) -> None:
    """The renewal was quoted without a seal; a seal visit then adds one to the same key: the
    renewal's key step refuses in words rather than re-bind a seal nobody paid for."""
    base, doc = _new(res, "dongguan-hpf", "org", years=1)
    order, pin = base.state()["order"], base.pin
    renew = VisitFlow.open(
        res, service="renew", program="dongguan-hpf", kind="org", years=1, order=order
    )
    assert renew.data()["seal"] is False
    d2 = inputs("org", uscc=doc["unit"]["uscc"], pin=pin)
    renew.run_step("identify", d2)
    renew.run_step("materials", d2)
    seal = VisitFlow.open(
        res, service="seal", program="dongguan-hpf", kind="org", years=1, order=order
    )
    d3 = inputs("org", uscc=doc["unit"]["uscc"], pin=pin)  # its own payment reference
    assert seal.run_all(d3)["state"] == "done"
    with pytest.raises(FlowError) as ei:
        renew.run_all(d2)
    assert ei.value.code == "visit.seal_changed" and ei.value.step == "keys"
