"""The seal screen driven by Pilot, with a video file and image files as the camera."""

from __future__ import annotations

import time

from textual.app import App

from hardware.camera import CameraConfig, OpenCVCamera
from hardware.seal import RuleTable
from hardware.sim.seal_samples import SAMPLE_PX_PER_MM, VIDEO_PX_PER_MM, sample, training_video
from kiosk.seal.station import SealStation
from kiosk.seal.view import OverrideRequest, StaffUser
from screens.seal import HalfBlockPreview, OverrideDialog, SealScreen

SIZE = (150, 44)


class Host(App):
    def __init__(self, screen: SealScreen):
        super().__init__()
        self.seal_screen = screen
        self.result = "pending"

    def on_mount(self) -> None:
        self.push_screen(self.seal_screen, self._done)

    def _done(self, result) -> None:
        self.result = result


def station(source: str, ppm: float, approve=None) -> SealStation:
    cam = OpenCVCamera(CameraConfig(source=source, realtime=True, loop=True))
    return SealStation(cam, RuleTable.load().find("enterprise", "official"), ppm, approve)


async def until(pilot, cond, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def text_of(screen, selector: str) -> str:
    return screen.query_one(selector).shown


async def test_capture_from_video_shows_verdict_retakes_and_accepts():
    seen: list = []
    screen = SealScreen(station(str(training_video()), VIDEO_PX_PER_MM))
    app = Host(screen)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await until(pilot, lambda: screen.live_check is not None, what="a checked frame")
        # the live preview is drawn with half blocks
        preview = screen.query_one("#preview", HalfBlockPreview)
        await until(pilot, lambda: len(preview._lines) > 5, what="the preview")
        assert "▀" in preview.render_line(3).text

        await pilot.press("space")
        captured = [m for m in seen if isinstance(m, SealScreen.Captured)]
        assert captured and screen.frozen is captured[-1].check
        verdict = text_of(screen, "#verdict")
        assert verdict.startswith(("合格", "不合格"))
        assert text_of(screen, "#mode") == "已拍摄：R 重拍，A 接受"

        await pilot.press("r")
        assert screen.frozen is None and text_of(screen, "#mode").startswith("实时画面")

        # the video shows the empty form first, then a good imprint: wait for a clean pass
        await until(
            pilot,
            lambda: screen.live_check is not None and not screen.live_check.needs_staff,
            what="a passing frame",
        )
        await pilot.press("space")
        assert text_of(screen, "#verdict") == "合格"
        assert "直径：" in text_of(screen, "#metrics")
        await pilot.press("f2")  # the host has no language switch: still Chinese, no crash
        await pilot.press("a")
        await until(pilot, lambda: app.result != "pending", what="the screen to close")
    acc = app.result
    assert acc.override is None
    assert acc.check.analysis.verdict == "pass"
    assert abs(acc.seal.width_mm - acc.check.analysis.diameter_mm) < 0.01
    assert acc.seal.rgba.shape[2] == 4
    assert any(isinstance(m, SealScreen.Accepted) for m in seen)


async def test_failed_imprint_needs_signed_in_staff_with_a_reason():
    approvals: list[OverrideRequest] = []
    staff: list[StaffUser] = []  # nobody signed in at first
    seen: list = []
    st = station(str(sample("bad_blurred.jpg")), SAMPLE_PX_PER_MM, approve=approvals.append)
    screen = SealScreen(st, staff_session=lambda: staff[0] if staff else None)
    app = Host(screen)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await until(pilot, lambda: screen.live_check is not None, what="a checked frame")
        await pilot.press("space")
        assert text_of(screen, "#verdict").startswith("不合格")
        assert "图像模糊" in text_of(screen, "#verdict")

        # the applicant cannot accept it
        await pilot.press("a")
        assert any(isinstance(m, SealScreen.ApprovalRequired) for m in seen)
        assert app.result == "pending" and not approvals

        # staff sign in, give a reason, approve
        staff.append(StaffUser("S0012", "李敏", "operator"))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, OverrideDialog), what="the dialog")
        # an empty reason is refused
        reason = app.screen.query_one("#reason")
        reason.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OverrideDialog) and not approvals
        reason.value = "原印章本身边缘模糊，已核对原件"
        reason.focus()
        await pilot.press("enter")  # submits the reason (the refusal toast may cover the button)
        await until(pilot, lambda: app.result != "pending", what="the screen to close")
    acc = app.result
    assert acc.override is not None and acc.override.staff_no == "S0012"
    assert acc.override.reason == "原印章本身边缘模糊，已核对原件"
    assert acc.override.reasons == ("blurred",)
    assert approvals == [acc.override]


async def test_no_camera_is_said_in_words(tmp_path):
    screen = SealScreen(station(str(tmp_path / "missing.mp4"), 8.0))
    app = Host(screen)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "未检测到摄像头" in text_of(screen, "#camera"), what="no camera")
        await pilot.press("space")  # nothing to capture: stays live
        assert screen.frozen is None
