"""Overrides with typed reasons, and dual control by a second supervisor."""

from __future__ import annotations

import pytest

from kiosk.errors import StaffError, UsageError
from kiosk.staff import audit, overrides
from kiosk.staff.overrides import DUAL_CONTROL, OverrideKind, Reason
from kiosk.staff.roster import Roster, StaffDesk
from tests.unit.staff_support import FAST_POLICY, FakeClock


@pytest.fixture
def roster(store):
    r = Roster(store, FAST_POLICY, clock=FakeClock())
    r.add("1001", "王敏", "operator", "246810")
    r.add("1002", "黄磊", "operator", "246811")
    r.add("2001", "李强", "supervisor", "135790")
    r.add("2002", "周洁", "supervisor", "135791")
    r.add("3001", "陈静", "clerk", "112233")
    return r


@pytest.fixture
def operator(roster):
    return StaffDesk(roster).sign_in("1001", "246810")


SAMPLES = {
    OverrideKind.MANUAL_AGENT: ("card_unreadable", None, {"name": "张三"}),
    OverrideKind.ACCEPT_SEAL: ("imprint_faint", {"seal_ok": False}, {"seal_ok": True}),
    OverrideKind.MATERIALS_VERIFIED: (
        "checked_originals",
        None,
        {"checklist": {"application_form": True, "licence": True, "agent_id": True}},
    ),
    OverrideKind.FEE_WAIVER: ("goodwill", {"amount_fen": 120000}, {"amount_fen": 60000}),
    OverrideKind.CONFIRM_TRANSFER: ("seen_on_statement", None, {"amount_fen": 60000}),
    OverrideKind.REFUND: ("never_accepted", {"paid_fen": 60000}, {"amount_fen": 60000}),
    OverrideKind.KEY_HANDOVER: ("agent_id_checked", None, {"token_serial": "A1"}),
    OverrideKind.KEY_RESUME: ("key_pulled_mid_write", None, None),
    OverrideKind.KEY_WIPE: ("wrong_key", None, None),
    OverrideKind.UNLOCK: ("pin_forgotten", None, None),
}


@pytest.mark.parametrize("kind", sorted(set(SAMPLES) - DUAL_CONTROL))
def test_single_control_overrides_take_effect_at_once(store, operator, kind):
    code, before, after = SAMPLES[kind]
    ov = overrides.request(
        store, operator, kind, visit_id=7, reason=Reason(code), before=before, after=after
    )
    assert ov.state == "done" and ov.effective
    assert overrides.require_effective(store, ov.id, kind, visit_id=7) == ov
    row = audit.entries(store.db, visit_id=7)[-1]
    assert (row.action, row.outcome, row.staff_no, row.reason_code) == (
        f"override.{kind.value}",
        "done",
        "1001",
        code,
    )


@pytest.mark.parametrize("kind", sorted(DUAL_CONTROL))
def test_dual_control_waits_for_another_supervisor(store, roster, operator, kind):
    code, before, after = SAMPLES[kind]
    ov = overrides.request(
        store, operator, kind, visit_id=9, reason=Reason(code), before=before, after=after
    )
    assert ov.state == "pending" and not ov.effective
    with pytest.raises(StaffError) as e:
        overrides.require_effective(store, ov.id, kind, visit_id=9)
    assert e.value.code == "override.not_approved"

    approver = roster.authenticate("2001", "135790", purpose="approve")
    ov = overrides.approve(store, ov.id, approver)
    assert ov.state == "approved" and ov.approver_no == "2001"
    overrides.require_effective(store, ov.id, kind, visit_id=9)
    row = audit.entries(store.db, visit_id=9)[-1]
    assert (row.action, row.staff_no, row.approver_no, row.approver_role) == (
        f"override.{kind.value}.approve",
        "1001",
        "2001",
        "supervisor",
    )
    assert audit.verify(store.db).ok


def test_operator_cannot_approve_refused_and_audited(store, roster, operator):
    ov = overrides.request(
        store,
        operator,
        "refund",
        visit_id=3,
        reason=Reason("never_accepted"),
        after={"amount_fen": 100},
    )
    other_op = roster.authenticate("1002", "246811", purpose="approve")
    with pytest.raises(StaffError) as e:
        overrides.approve(store, ov.id, other_op)
    assert e.value.code == "staff.forbidden"
    row = audit.entries(store.db, visit_id=3)[-1]
    assert (row.action, row.outcome, row.staff_no) == ("override.refund.approve", "refused", "1002")
    assert overrides.get(store, ov.id).state == "pending"


def test_supervisor_cannot_approve_their_own_override(store, roster):
    sup = StaffDesk(roster).sign_in("2001", "135790")
    ov = overrides.request(
        store, sup, "fee_waiver", visit_id=4, reason=Reason("goodwill"), after={"amount_fen": 0}
    )
    with pytest.raises(StaffError) as e:
        overrides.approve(store, ov.id, roster.get("2001"))
    assert e.value.code == "override.self_approval"
    row = audit.entries(store.db, visit_id=4)[-1]
    assert row.outcome == "refused" and row.reason_code == "self_approval"
    # another supervisor can
    assert overrides.approve(store, ov.id, roster.get("2002")).state == "approved"


def test_rejected_override_never_takes_effect_and_cannot_be_approved_later(store, roster, operator):
    ov = overrides.request(
        store, operator, "accept_seal", visit_id=5, reason=Reason("imprint_faint")
    )
    overrides.reject(store, ov.id, roster.get("2001"), note="imprint too faint to read")
    with pytest.raises(StaffError) as e:
        overrides.approve(store, ov.id, roster.get("2002"))
    assert e.value.code == "override.not_pending"
    with pytest.raises(StaffError):
        overrides.require_effective(store, ov.id, "accept_seal", visit_id=5)


def test_operator_voiding_a_visit_is_refused_supervisor_may(store, roster, operator):
    with pytest.raises(StaffError) as e:
        overrides.request(
            store, operator, "void_visit", visit_id=6, reason=Reason("applicant_left")
        )
    assert e.value.code == "staff.forbidden"
    assert audit.entries(store.db, visit_id=6)[-1].outcome == "refused"
    ov = overrides.request(
        store, roster.get("2001"), "void_visit", visit_id=6, reason=Reason("applicant_left")
    )
    assert ov.effective


def test_clerk_cannot_override(store, roster):
    with pytest.raises(StaffError) as e:
        overrides.request(
            store, roster.get("3001"), "manual_agent", visit_id=1, reason=Reason("card_unreadable")
        )
    assert e.value.code == "staff.forbidden"


@pytest.mark.parametrize(
    ("kind", "reason", "after", "code"),
    [
        ("fee_waiver", Reason("because"), {"amount_fen": 0}, "override.bad_reason"),
        ("fee_waiver", Reason("other"), {"amount_fen": 0}, "override.note_required"),
        ("fee_waiver", Reason("goodwill"), {"amount_fen": -1}, "override.bad_amount"),
        ("refund", Reason("never_accepted"), {"amount_fen": 1.5}, "override.bad_amount"),
        ("materials_verified", Reason("checked_originals"), {}, "override.checklist_missing"),
        (
            "materials_verified",
            Reason("checked_originals"),
            {"checklist": {"licence": True, "agent_id": False}},
            "override.checklist_incomplete",
        ),
        ("teleport", Reason("other", "x"), None, "override.bad_kind"),
    ],
)
def test_bad_override_input(store, operator, kind, reason, after, code):
    with pytest.raises(UsageError) as e:
        overrides.request(store, operator, kind, visit_id=1, reason=reason, after=after)
    assert e.value.code == code


def test_override_mismatch_is_refused(store, operator):
    ov = overrides.request(
        store, operator, "manual_agent", visit_id=1, reason=Reason("reader_fault")
    )
    with pytest.raises(StaffError) as e:
        overrides.require_effective(store, ov.id, "manual_agent", visit_id=2)
    assert e.value.code == "override.mismatch"


def test_seal_station_override_is_pending_until_a_supervisor_approves(store, roster):
    from kiosk.dayclose.close import DayCloseRules
    from kiosk.seal.view import OverrideRequest
    from kiosk.shell.staff_desk import StaffService
    from tests.unit.staff_support import FAST_POLICY

    svc = StaffService(store, FAST_POLICY, DayCloseRules())
    svc.desk.sign_in("1001", "246810")
    req = OverrideRequest(
        staff_no="1001",
        reason="the seal itself is faint; original checked",
        verdict="fail",
        reasons=("faint",),
        borderline_metrics=(),
    )
    ov = svc.request_seal_override(21, req)
    assert (ov["kind"], ov["state"], ov["reason_code"]) == (
        "accept_seal",
        "pending",
        "imprint_faint",
    )
    with pytest.raises(StaffError):
        svc.require_effective(ov["id"], "accept_seal", 21)
    assert svc.decide_override(ov["id"], "2001", "135790", True) == "approved"
    svc.require_effective(ov["id"], "accept_seal", 21)
