"""The visit's seal step on the live seal screen, in training mode on the real stand-ins.

The camera is the training rig's: cv2.VideoCapture plays the session video (a good imprint) or
the still the simulator panel chose; the accepted frame is saved as the visit's evidence file
and the flow engine measures it again, extracts the seal and the key step writes it to the
SoftHSM2 key, where these tests read the SESeal back.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.widgets import Input

from kiosk.contracts.sealobj import parse_seal
from kiosk.errors import KioskError
from kiosk.shell.app import KioskApp
from kiosk.shell.cli import CliContext
from kiosk.shell.services import Services
from kiosk.sync.service import StatusReader
from kiosk.visits.seal_camera import open_station
from screens.approval import ApprovalModal
from screens.seal import OverrideDialog
from screens.simulator import SimulatorScreen
from screens.visit_seal import VisitSealScreen
from screens.widgets.text import LangText
from tests.functional import test_visit_screens as _visits
from tests.functional.test_visit_screens import (
    SIZE,
    STAFF_NO,
    STAFF_PIN,
    Counter,
    error_of,
    step_of,
    tap,
    until,
    visit,
)

# The visit screens' fixtures: one training rig for this module, on the session's pcscd.
training = _visits.training
training_app = _visits.training_app

SUPERVISOR_NO = "2001"  # training roster (kiosk.shell.staff_desk), PIN as STAFF_PIN


def seal_screen(app: KioskApp) -> VisitSealScreen:
    screen = app.screen
    assert isinstance(screen, VisitSealScreen), screen
    return screen


def shown(app: KioskApp, selector: str) -> str:
    return str(app.screen.query_one(selector).shown)


async def to_seal_step(c: Counter, uscc: str, name: str) -> str:
    """A new 机构 certificate with a seal, up to its seal step; returns the order number."""
    await c.start("new", "dongguan-hpf", "org")
    await c.identify()
    await c.go("form", **{"unit-uscc": uscc, "unit-name": name, "unit-address": _visits.ADDRESS})
    await c.go("materials")
    await until(c.pilot, lambda: step_of(c.app) == "seal", "seal step")
    await until(c.pilot, lambda: bool(c.app.screen.query("#seal-type-official")), "seal types")
    return str(visit(c.app).visit.order)


async def open_camera(c: Counter) -> VisitSealScreen:
    await c.pilot.click("#visit-next")
    await until(c.pilot, lambda: isinstance(c.app.screen, VisitSealScreen), "the seal screen")
    screen = seal_screen(c.app)
    await until(c.pilot, lambda: screen.live_check is not None, "a checked frame")
    return screen


async def capture_passing(c: Counter, screen: VisitSealScreen) -> None:
    """Wait for a clean pass in the live picture (the video shows the empty form first)."""
    for _ in range(5):  # the video loops back to the empty form: retake if it did
        await until(
            c.pilot,
            lambda: screen.live_check is not None and not screen.live_check.needs_staff,
            "a passing frame",
        )
        await c.pilot.press("space")
        if screen.frozen is not None and not screen.frozen.needs_staff:
            break
        await c.pilot.press("r")
    assert shown(c.app, "#verdict") == "合格"


def seal_rows(app: KioskApp, order: str) -> list[dict]:
    return [r for r in app.services.visits.resume(order).journal() if r["step"] == "seal"]


def detail(row: dict) -> dict:
    d = row["detail"]
    return json.loads(d) if isinstance(d, str) else dict(d)


async def seal_on_key(app: KioskApp, serial: str) -> bytes:
    """The SESeal data object read back from the SoftHSM2 key (put back in the reader)."""
    rig = app.services.training_rig
    if serial not in rig.softhsm.inserted():
        await asyncio.to_thread(rig.sim_insert_key, serial)
    keys = app.services.visits.resources().keys()
    await asyncio.to_thread(keys.tokens.rescan)
    found = await asyncio.to_thread(keys.read_key, serial)
    assert found["seal"], f"no SESeal on key {serial}"
    return bytes(found["seal"])


async def test_new_org_visit_takes_its_seal_from_the_live_camera(training_app: KioskApp) -> None:
    app = training_app
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        order = await to_seal_step(c, "91441900MA0000044D", "东莞市摄像头印章有限公司")
        # The program's seal types are on screen; the contract seal is chosen by keyboard.
        assert {b.id for b in app.screen.query(".seal-type")} == {
            "seal-type-official",
            "seal-type-contract",
            "seal-type-mortgage",
            "seal-type-credit",
        }
        app.screen.query_one("#seal-type-contract").focus()
        await pilot.press("enter")
        await until(pilot, lambda: "合同专用章" in shown(app, "#seal-type-chosen"), "type chosen")
        screen = await open_camera(c)
        await capture_passing(c, screen)
        await pilot.press("a")
        await until(pilot, lambda: step_of(app) == "quote", "past the seal step")

        # The journal names the evidence frame; the engine measured it again and extracted it.
        rows = seal_rows(app, order)
        assert [r["state"] for r in rows] == ["started", "done"]
        d = detail(rows[-1])
        assert d["seal_type"] == "contract" and d["source"] == "camera"
        assert d["verdict"] == "pass" and "override" not in d
        evidence = Path(d["evidence"])
        assert evidence.is_file() and evidence.parent.name == order
        pic = app.services.visits.resume(order).data()["seal_picture"]
        assert 33 <= pic["width_mm"] <= 45

        await c.finish()
        st = app.services.visits.resume(order).state()
        assert st["state"] == "done" and st["certificate"], st
        parsed = parse_seal(await seal_on_key(app, st["key"]["serial"]))
        assert parsed.picture == bytes.fromhex(pic["png_hex"])
        assert (parsed.width_mm, parsed.height_mm) == (int(pic["width_mm"]), int(pic["height_mm"]))
        assert parsed.name == "东莞市摄像头印章有限公司"


async def test_a_deformed_imprint_is_refused_then_a_good_one_is_taken(
    training_app: KioskApp,
) -> None:
    app = training_app
    rig = app.services.training_rig
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        rig.sim_imprint("bad_deformed.jpg")
        order = await to_seal_step(c, "91441900MA0000045G", "东莞市变形印章有限公司")
        screen = await open_camera(c)
        await pilot.press("space")
        assert shown(app, "#verdict") == "不合格：印章变形"
        # The agent cannot accept it: the screen stays, asking for staff.
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen and step_of(app) is None
        assert not seal_rows(app, order)

        # The simulator panel (F9) shows a good imprint instead; the camera follows it.
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, SimulatorScreen), "panel")
        app.screen.query_one("#sim-imprint").value = "good.jpg"
        await tap(pilot, "#sim-imprint-use")
        await until(pilot, lambda: rig.imprint == "good.jpg", "good imprint chosen")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "back at the seal screen")
        await pilot.press("r")
        await capture_passing(c, screen)
        await pilot.press("a")
        await until(pilot, lambda: step_of(app) == "quote", "past the seal step")
        d = detail(seal_rows(app, order)[-1])
        assert d["verdict"] == "pass" and d["seal_type"] == "official"
        app.go_home()


async def test_a_failed_imprint_is_taken_only_with_staff_and_supervisor_approval(
    training_app: KioskApp,
) -> None:
    app = training_app
    rig = app.services.training_rig
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        rig.sim_imprint("bad_blurred.jpg")
        order = await to_seal_step(c, "91441900MA0000046K", "东莞市模糊印章有限公司")
        screen = await open_camera(c)
        await pilot.press("space")
        assert "图像模糊" in shown(app, "#verdict")
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen

        # Staff sign in (F12) over the seal screen and come back to it.
        await pilot.press("f12")
        await until(pilot, lambda: bool(app.screen.query("#staff-number")), "sign-in")
        app.screen.query_one("#staff-number", Input).value = STAFF_NO
        app.screen.query_one("#staff-pin", Input).value = STAFF_PIN
        await pilot.click("#sign-in")
        await until(pilot, lambda: app.screen is screen, "back at the seal screen, signed in")
        assert app.staff.current().staff_no == STAFF_NO

        # Accept: the reason, then a supervisor approves (dual control).
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, OverrideDialog), "the reason dialog")
        app.screen.query_one("#reason", Input).value = "原印章边缘磨损，已核对原件"
        app.screen.query_one("#reason", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ApprovalModal), "the approval")
        # The operator who asked cannot approve it; a supervisor can.
        app.screen.query_one("#approver-number", Input).value = SUPERVISOR_NO
        app.screen.query_one("#approver-pin", Input).value = STAFF_PIN
        await pilot.click("#approve")
        await until(pilot, lambda: step_of(app) == "quote", "past the seal step")

        d = detail(seal_rows(app, order)[-1])
        assert d["verdict"] == "fail" and d["reasons"] == ["blurred"]
        ov = d["override"]
        assert ov["staff_no"] == STAFF_NO and ov["approver_no"] == SUPERVISOR_NO
        assert ov["reason"] == "原印章边缘磨损，已核对原件" and ov["reasons"] == ["blurred"]
        # The outbox event of the step carries the override to the back office.
        db = app.services.visits.resources().store.db
        payloads = [
            json.loads(p)
            for (p,) in db.execute(
                "SELECT payload FROM outbox WHERE kind = 'visit.step' AND visit_id = ?", [order]
            )
        ]
        done = [p for p in payloads if p["step"] == "seal" and p["state"] == "done"]
        assert len(done) == 1 and done[0]["override"]["staff_no"] == STAFF_NO
        assert done[0]["override"]["reason"] == "原印章边缘磨损，已核对原件"
        # The training hub on loopback takes that event (nothing held back or quarantined).
        reader = StatusReader(app.services.database)
        await until(pilot, lambda: reader.read().pending == 0, "events sent to the hub")
        assert reader.read().quarantined == 0
        # Staff who signed in for the override are signed out when the seal screen closes.
        await until(pilot, lambda: app.staff.current() is None, "staff signed out")
        rig.sim_imprint("good.jpg")
        app.go_home()


async def test_a_resumed_visit_asks_for_a_failed_seal_again_but_never_a_done_one(
    training_app: KioskApp,
) -> None:
    app = training_app
    desk = app.services.visits
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        order = await to_seal_step(c, "91441900MA0000047N", "东莞市续办印章有限公司")
        # A seal step that failed (a photo with two seals, run headless) asks again on resume.
        from hardware.sim.seal_samples import SAMPLE_PX_PER_MM, sample

        flow = desk.resume(order)
        bad = {"seal_image": {"path": str(sample("bad_two_seals.jpg")), "px_per_mm": 7.5}}
        assert SAMPLE_PX_PER_MM == 7.5
        with pytest.raises(KioskError):
            await asyncio.to_thread(desk.run, flow, "seal", bad)
        app.go_home()
        await until(pilot, lambda: len(app.screen_stack) == 1, "home")
        app.resume_visit(order)
        await until(pilot, lambda: step_of(app) == "seal", "asked for the seal again")
        screen = await open_camera(c)
        await capture_passing(c, screen)
        await pilot.press("a")
        await until(pilot, lambda: step_of(app) == "quote", "past the seal step")
        evidence = sorted((desk.base / "evidence" / order).glob("*.png"))
        assert len(evidence) == 1

        # Cleared (the idle timeout) and resumed: the seal is done, the camera is not opened.
        app.go_home()
        await until(pilot, lambda: len(app.screen_stack) == 1, "home")
        app.resume_visit(order)
        await until(pilot, lambda: step_of(app) == "quote", "resumed after the seal")
        assert "seal" in visit(app).visit.done
        assert not app.screen.query("#seal-type-official")
        states = [r["state"] for r in seal_rows(app, order)]
        assert states == ["started", "failed", "started", "done"]
        assert sorted((desk.base / "evidence" / order).glob("*.png")) == evidence
        app.go_home()


async def test_no_camera_and_the_staff_only_photo_are_said_in_words(
    training_app: KioskApp, tmp_path: Path
) -> None:
    app = training_app
    cam = app.settings.devices.camera.model_copy(
        update={"source": str(tmp_path / "no-such-camera.mp4")}
    )
    devices = app.settings.devices.model_copy(update={"camera": cam})
    settings = app.settings.model_copy(update={"devices": devices})
    with pytest.raises(KioskError) as e:
        await asyncio.to_thread(open_station, settings, first_frame_s=2.0)
    assert e.value.code == "visit.no_camera" and "kiosk doctor" in e.value.message
    with pytest.raises(KioskError) as e:
        await asyncio.to_thread(open_station, settings, photo=str(tmp_path / "x.jpg"))
    assert e.value.code == "visit.photo_staff_only"

    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        order = await to_seal_step(c, "91441900MA0000048R", "东莞市照片印章有限公司")
        # The agent sees no photo field, only that staff can use one.
        assert not app.screen.query("#seal-photo")
        texts = [w.shown for w in app.screen.query("#visit-step LangText").results(LangText)]
        assert any("工作人员可按 F12 登录" in x for x in texts), texts
        # F12 at the seal step signs staff in and comes back to the visit with the field.
        await pilot.press("f12")
        await until(pilot, lambda: bool(app.screen.query("#staff-number")), "sign-in")
        app.screen.query_one("#staff-number", Input).value = STAFF_NO
        app.screen.query_one("#staff-pin", Input).value = STAFF_PIN
        await pilot.click("#sign-in")
        await until(pilot, lambda: bool(app.screen.query("#seal-photo")), "the photo field")
        assert step_of(app) == "seal"

        # A file that is not an image: said in words, the visit stays at the seal step.
        junk = tmp_path / "imprint.jpg"
        junk.write_text("not a photo")
        app.screen.query_one("#seal-photo", Input).value = str(junk)
        await pilot.press("enter")
        await until(pilot, lambda: bool(error_of(app)), "the refusal")
        assert "照片文件无法使用" in error_of(app) and step_of(app) == "seal"

        # The sample photo goes through the same seal screen and check.
        from hardware.sim.seal_samples import sample

        app.screen.query_one("#seal-photo", Input).value = str(sample("good.jpg"))
        screen = await open_camera(c)
        await capture_passing(c, screen)
        await pilot.press("a")
        await until(pilot, lambda: step_of(app) == "quote", "past the seal step")
        d = detail(seal_rows(app, order)[-1])
        assert d["source"] == "photo" and d["verdict"] == "pass"
        # Staff who signed in at this step are signed out once it is done.
        await until(pilot, lambda: app.staff.current() is None, "staff signed out")
        app.go_home()


async def test_the_idle_timeout_clears_the_seal_screen_and_releases_the_camera(
    training: tuple[CliContext, Services],
) -> None:
    ctx, services = training
    app = KioskApp(ctx.settings(), services, idle_timeout_s=600.0)
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        await c.start("new", "dongguan-hpf", "org")
        await c.identify()
        await c.go(
            "form",
            **{
                "unit-uscc": "91441900MA0000049W",
                "unit-name": "东莞市空闲有限公司",
                "unit-address": _visits.ADDRESS,
            },
        )
        await c.go("materials")
        await until(pilot, lambda: step_of(app) == "seal", "seal step")
        await pilot.click("#visit-next")
        await until(pilot, lambda: isinstance(app.screen, VisitSealScreen), "the seal screen")
        station = seal_screen(app).station
        await until(pilot, lambda: seal_screen(app).live_check is not None, "a checked frame")
        app.idle_timeout_s = 1.0  # (short only now: the visit up to here took longer)
        # Nobody touches the kiosk: back to the welcome screen, the agent gone, camera closed.
        await until(pilot, lambda: len(app.screen_stack) == 1, "cleared by the idle timeout")
        assert app.agent is None
        await until(pilot, lambda: station.camera_state == "closed", "camera released")


async def test_the_engine_takes_a_failed_imprint_only_with_an_override_in_force(
    training: tuple[CliContext, Services],
) -> None:
    """The seal step's inputs carry only the override's id: the engine checks it is an
    ``accept_seal`` of this visit, approved, and journals who made it from the staff area."""
    from hardware.sim.seal_samples import SAMPLE_PX_PER_MM, sample
    from kiosk.seal.view import OverrideRequest

    _ctx, services = training
    desk, staff = services.visits, services.staff

    def to_seal(uscc: str) -> object:
        flow = desk.open(service="new", program="dongguan-hpf", kind="org", years=1, seal=True)
        agent = {"name": "张伟", "id_number": "44190019880615231X", "id_valid_to": "2035-01-01"}
        desk.run(flow, "identify", {"agent": agent})
        desk.run(flow, "form", {"unit": {"uscc": uscc, "name": "东莞市审批测试有限公司"}})
        desk.run(flow, "materials", {})
        return flow

    flow = await asyncio.to_thread(to_seal, "91441900MA00000502")
    other = await asyncio.to_thread(to_seal, "91441900MA00000515")
    blurred = {"path": str(sample("bad_blurred.jpg")), "px_per_mm": SAMPLE_PX_PER_MM}
    with pytest.raises(KioskError) as e:  # no override: refused
        await asyncio.to_thread(desk.run, flow, "seal", {"seal_image": blurred})
    assert e.value.code == "seal.check_failed"

    await asyncio.to_thread(staff.sign_in, STAFF_NO, STAFF_PIN)
    try:
        request = OverrideRequest(STAFF_NO, "原件已核对", "fail", ("blurred",), ())
        ov = await asyncio.to_thread(staff.request_seal_override, flow.visit_id, request)
    finally:
        staff.sign_out()
    assert ov["state"] == "pending"
    with_ov = {"seal_image": {**blurred, "override": {"id": ov["id"]}}}
    with pytest.raises(KioskError) as e:  # not approved yet
        await asyncio.to_thread(desk.run, flow, "seal", with_ov)
    assert e.value.code == "override.not_approved"
    with pytest.raises(KioskError) as e:  # another visit's override
        await asyncio.to_thread(desk.run, other, "seal", with_ov)
    assert e.value.code == "override.mismatch"

    assert (
        await asyncio.to_thread(staff.decide_override, ov["id"], SUPERVISOR_NO, STAFF_PIN, True)
        == "approved"
    )
    state = await asyncio.to_thread(desk.run, flow, "seal", with_ov)
    assert state.next_step == "quote"
    rows = [r for r in flow.journal() if r["step"] == "seal"]
    assert [r["state"] for r in rows] == [
        "started",
        "failed",
        "started",
        "failed",
        "started",
        "done",
    ]
    ov_seen = detail(rows[-1])["override"]
    assert (ov_seen["staff_no"], ov_seen["approver_no"]) == (STAFF_NO, SUPERVISOR_NO)
    assert ov_seen["reason"] == "原件已核对" and ov_seen["reasons"] == ["blurred"]
