"""The visit's typed state reads and writes the data column in the shape journalled before it
existed: a visit journalled by an earlier kiosk resumes, and its JSON keeps every key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from data.store import Store
from kiosk.config import load_settings
from kiosk.visits import Resources, VisitFlow
from kiosk.visits.state import StepInputs, VisitData, VisitView

#: A new-certificate visit's data column as the untyped engine journalled it after its
#: identify, form and materials steps (with a key this version does not know of).
OLD_DATA = {
    "years": 1,
    "seal": False,
    "earlier_order": None,
    "renew_first": False,
    "plan": ["identify", "form", "materials", "quote", "pay", "keys", "handover", "receipt"],
    "quote": {"total_fen": 50000},
    "agent": {
        "name": "张三",
        "id_number": "11010519491231002X",
        "mobile": "13800138000",
        "id_valid_to": None,
    },
    "unit": {
        "name": "东莞市测试有限公司",
        "uscc": "91441900MA4UJ5EX1B",
        "address": "东莞市南城街道宏图路1号",
        "unit_type": "enterprise",
        "phone": "0769-22001234",
    },
    "materials": ["Application form", "Business licence copy"],
    "failure": None,
    "from_a_later_kiosk": {"kept": True},
}


def test_old_data_reads_and_dumps_unchanged() -> None:
    d = VisitData.load(json.dumps(OLD_DATA))
    assert d.unit is not None and d.unit.uscc == "91441900MA4UJ5EX1B"
    assert d.agent is not None and d.agent.name == "张三"
    assert d.quote is not None and d.quote.total_fen == 50000
    assert json.loads(d.to_json()) == OLD_DATA


def test_merge_keeps_what_it_does_not_set() -> None:
    d = VisitData.load(json.dumps(OLD_DATA)).merged({"pay_key": "DG-1:pay", "failure": None})
    assert json.loads(d.to_json()) == {**OLD_DATA, "pay_key": "DG-1:pay"}


def test_inputs_from_a_visit_file() -> None:
    given = {
        "service": "new",
        "agent": {"name": "张三", "id_number": "11010519491231002X", "sample": "a"},
        "payment": {"method": "card", "reference": 123456},
        "key": None,
    }
    i = StepInputs.of(given)
    assert i.payment.reference == "123456"  # a TOML integer is a reference all the same
    assert i.agent.dump() == given["agent"]  # unknown keys go to the reader as given
    assert i.key.pin is None and not i.key.blank


@pytest.fixture
def res(tmp_path: Path) -> Iterator[Resources]:
    store = Store.open(tmp_path / "kiosk.db")
    r = Resources(load_settings(None), tmp_path, store, training=True, on_close=[store.close])
    yield r
    r.close()


def test_a_visit_journalled_in_the_old_shape_resumes(res: Resources) -> None:
    db = res.store.db
    now = "2026-12-01T02:00:00Z"
    with res.store.atomic() as tx:
        tx.execute(
            "INSERT INTO visits (order_no, service, program, kind, state, training, data, "
            "created_at, updated_at, unit_uscc, unit_name) "
            "VALUES (?, 'new', 'dongguan-hpf', 'org', 'open', 1, ?, ?, ?, ?, ?)",
            [
                "DG-20261201-0001",
                json.dumps(OLD_DATA),
                now,
                now,
                OLD_DATA["unit"]["uscc"],  # type: ignore[index]
                OLD_DATA["unit"]["name"],  # type: ignore[index]
            ],
        )
        (vid,) = tx.execute("SELECT id FROM visits").fetchone()
        for step in ("identify", "form", "materials"):
            tx.execute(
                "INSERT INTO visit_steps (visit_id, step, state, detail, at) "
                "VALUES (?, ?, 'done', '{}', ?)",
                [vid, step, now],
            )
    flow = VisitFlow.resume(res, "DG-20261201-0001")
    assert flow.next_step() == "quote"
    view = flow.view()
    assert isinstance(view, VisitView)
    assert (
        view.total_fen == 50000
        and view.payment is None
        and view.done
        == [
            "identify",
            "form",
            "materials",
        ]
    )
    st = flow.state()
    assert st["order"] == "DG-20261201-0001" and st["failure"] is None
    detail = flow.run_step("quote", {})
    assert detail["total_fen"] == flow.quote().total_fen
    (raw,) = db.execute("SELECT data FROM visits WHERE id = ?", [vid]).fetchone()
    data = json.loads(raw)
    assert data["from_a_later_kiosk"] == {"kept": True}
    assert {k: v for k, v in data.items() if k not in ("quote", "pay_key")} == {
        k: v for k, v in OLD_DATA.items() if k != "quote"
    }
    assert data["pay_key"] == "DG-20261201-0001:pay"
    assert data["quote"]["total_fen"] == detail["total_fen"] and data["quote"]["items"]


def test_inputs_of_the_wrong_kind_are_refused_in_words() -> None:
    from kiosk.visits import FlowError

    with pytest.raises(FlowError) as ei:
        StepInputs.of({"key": {"blank": "perhaps"}})
    assert ei.value.code == "visit.bad_inputs" and "key.blank" in ei.value.message


def test_every_service_has_its_key_work_and_every_step_its_module() -> None:
    from kiosk.domain.types import Service
    from kiosk.visits import ALL_STEPS, keywork
    from kiosk.visits.steps import STEPS

    own, on_key = set(keywork._OWN_STEP), set(keywork._ON_KEY)
    assert not own & on_key
    assert own | on_key == {s.value for s in Service}
    assert tuple(STEPS) == ALL_STEPS
    for name, step in STEPS.items():
        assert step.__module__ == f"kiosk.visits.steps.{name}"


def test_the_reapply_rule_follows_the_programs_setting() -> None:
    from kiosk.domain.services import must_reapply, reapply_reason

    settings = load_settings(None)
    programs = [settings.program(p.id) for p in settings.programs]
    assert any(p.expired_renewal == "reapply" for p in programs)  # 平安采购 today
    for prog in programs:
        for svc in ("renew", "change"):
            assert must_reapply(prog, svc, expired=True) is (prog.expired_renewal == "reapply")
            assert not must_reapply(prog, svc, expired=False)
        assert not must_reapply(prog, "unlock", expired=True)
        assert prog.name_en in reapply_reason(prog, "renew")
