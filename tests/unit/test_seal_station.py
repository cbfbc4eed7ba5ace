"""The accept rule of the seal station: a clean pass needs nobody, anything else staff + reason."""

from __future__ import annotations

import pytest

from hardware.camera import CameraConfig, OpenCVCamera
from hardware.seal import RuleTable
from hardware.sim.seal_samples import SAMPLE_PX_PER_MM, sample
from kiosk.errors import StaffError
from kiosk.seal.station import SealStation
from kiosk.seal.view import StaffUser

STAFF = StaffUser("S0007", "王芳")


def checked(name: str, approve=None):
    cam = OpenCVCamera(CameraConfig(source=str(sample(name))))
    st = SealStation(
        cam, RuleTable.load().find("enterprise", "official"), SAMPLE_PX_PER_MM, approve
    )
    with cam:
        seq, img = st.next_frame(0, timeout=5)
        return st, st.check(seq, img)


def test_clean_pass_is_accepted_without_staff():
    st, check = checked("good.jpg")
    assert not check.needs_staff
    acc = st.accept(check)
    assert acc.override is None and acc.seal is not None
    assert acc.seal.width_mm == check.analysis.diameter_mm


def test_fail_needs_staff_then_a_reason_then_the_approver():
    calls = []
    st, check = checked("bad_incomplete.jpg", approve=calls.append)
    assert check.needs_staff
    with pytest.raises(StaffError) as e:
        st.accept(check)
    assert e.value.code == "staff.approval_required"
    with pytest.raises(StaffError) as e:
        st.accept(check, STAFF, "   ")
    assert e.value.code == "staff.reason_required"
    assert calls == []
    acc = st.accept(check, STAFF, "申请人确认原印章缺角")
    assert calls == [acc.override]
    assert acc.override.reasons == ("incomplete",) and acc.override.staff_no == "S0007"
    assert acc.override.metrics["verdict"] == "fail"


def test_approver_refusal_stops_the_accept():
    def refuse(_req):
        raise StaffError("operators may not override; a supervisor must", code="staff.role")

    st, check = checked("bad_faint.jpg", approve=refuse)
    with pytest.raises(StaffError, match="supervisor"):
        st.accept(check, STAFF, "reason")
