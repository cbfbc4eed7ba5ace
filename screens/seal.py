"""The seal imprint screen: live camera preview, the check in words, retake and accept.

The preview is drawn with half blocks (▀: foreground = upper pixel, background = lower), two
pixels per terminal cell, which every terminal with true colour shows. A thread worker pulls
frames from the station, checks each one and posts :class:`SealScreen.FrameChecked`; the event
loop only draws. Capture (space) freezes a frame and its verdict; retake (r) goes back to live;
accept (a) takes a clean pass at once, while a fail or a borderline pass needs signed-in staff
and a reason (the station hands the override to the staff area, which records it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, ClassVar, Protocol

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Static

from kiosk.errors import KioskError
from kiosk.seal_view import SealAcceptance, SealCheck, StaffUser, describe

CAMERA_TEXT = {
    "opening": "正在打开摄像头 opening the camera…",
    "no_camera": "未检测到摄像头 no camera: call staff",
    "lost": "摄像头连接中断，正在重连 camera lost, reconnecting…",
    "ended": "视频已结束 the video has ended",
    "closed": "摄像头已关闭 camera closed",
}


class SealStationPort(Protocol):
    """What the screen needs (kiosk.seal_station.SealStation is the real one)."""

    camera_state: str

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def next_frame(self, after_seq: int, timeout: float = 1.0) -> tuple[int, np.ndarray]: ...
    def check(self, seq: int, image: np.ndarray) -> SealCheck: ...
    def preview(
        self, image: np.ndarray, check: SealCheck | None, cols: int, rows: int
    ) -> np.ndarray: ...
    def accept(
        self, check: SealCheck, staff: StaffUser | None = None, reason: str | None = None
    ) -> SealAcceptance: ...


@lru_cache(maxsize=8192)
def _style(top: int, bottom: int) -> Style:
    return Style(
        color=Color.from_rgb(top >> 16, (top >> 8) & 255, top & 255),
        bgcolor=Color.from_rgb(bottom >> 16, (bottom >> 8) & 255, bottom & 255),
    )


class HalfBlockPreview(Widget):
    """An RGB image drawn with ▀ half blocks, two pixel rows per terminal row."""

    DEFAULT_CSS = "HalfBlockPreview { width: 1fr; height: 1fr; }"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._lines: list[Strip] = []

    def set_image(self, rgb: np.ndarray) -> None:
        """Show an (2·rows, cols, 3) uint8 RGB image."""
        # Quantise to 5 bits a channel: the styles repeat, so they are cached and merged.
        q = (rgb.astype(np.uint32) & 0xF8).astype(np.uint32)
        packed = (q[:, :, 0] << 16) | (q[:, :, 1] << 8) | q[:, :, 2]
        if packed.shape[0] % 2:
            packed = np.vstack([packed, packed[-1:]])
        lines = []
        for y in range(0, packed.shape[0], 2):
            top, bot = packed[y].tolist(), packed[y + 1].tolist()
            segs: list[Segment] = []
            run_style, run_len = None, 0
            for t, b in zip(top, bot, strict=True):
                st = _style(t, b)
                if st is run_style:
                    run_len += 1
                    continue
                if run_style is not None:
                    segs.append(Segment("▀" * run_len, run_style))
                run_style, run_len = st, 1
            if run_style is not None:
                segs.append(Segment("▀" * run_len, run_style))
            lines.append(Strip(segs, len(top)))
        self._lines = lines
        self.refresh()

    def render_line(self, y: int) -> Strip:
        if y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width)


class OverrideDialog(ModalScreen[str | None]):
    """Staff give the reason for accepting an imprint the check did not pass cleanly."""

    DEFAULT_CSS = """
    OverrideDialog { align: center middle; }
    #override-box { width: 72; height: auto; border: thick $warning; padding: 1 2;
                    background: $surface; }
    #override-buttons { height: auto; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "取消 Cancel")]

    def __init__(self, staff: StaffUser, summary: str):
        super().__init__()
        self.staff = staff
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="override-box"):
            yield Label(f"工作人员确认 Staff approval — {self.staff.name} ({self.staff.staff_no})")
            yield Label(self.summary)
            yield Label("接受原因 Reason for accepting:")
            yield Input(
                placeholder="例如：原件印章如此 e.g. the seal itself is like this", id="reason"
            )
            with Horizontal(id="override-buttons"):
                yield Button("确认接受 Approve", id="approve", variant="warning")
                yield Button("取消 Cancel", id="cancel")

    @on(Button.Pressed, "#approve")
    @on(Input.Submitted, "#reason")
    def _approve(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify("请填写原因 A reason is required", severity="error")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class SealScreen(Screen[SealAcceptance | None]):
    """Photograph the imprint on the 电子印章申请表, check it, retake or accept."""

    DEFAULT_CSS = """
    SealScreen #seal-main { height: 1fr; }
    SealScreen #preview { width: 2fr; border: round $primary; }
    SealScreen #side { width: 1fr; min-width: 40; padding: 0 1; }
    SealScreen #verdict { text-style: bold; margin-bottom: 1; }
    SealScreen #verdict.pass { color: $success; }
    SealScreen #verdict.fail { color: $error; }
    SealScreen #verdict.borderline { color: $warning; }
    SealScreen #mode { color: $text-muted; }
    SealScreen #buttons { height: auto; }
    SealScreen #buttons Button { margin-right: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "capture", "拍摄 Capture"),
        Binding("r", "retake", "重拍 Retake"),
        Binding("a", "accept", "接受 Accept"),
    ]

    class FrameChecked(Message):
        """A live frame was checked (posted by the camera worker)."""

        def __init__(self, check: SealCheck | None, preview: np.ndarray, error: str | None):
            super().__init__()
            self.check = check
            self.preview = preview
            self.error = error

    class CameraProblem(Message):
        """The camera has no frame: no camera, lost, ended."""

        def __init__(self, code: str, message: str):
            super().__init__()
            self.code = code
            self.message = message

    class Captured(Message):
        """A frame was frozen for a decision."""

        def __init__(self, check: SealCheck):
            super().__init__()
            self.check = check

    class Accepted(Message):
        """The imprint was accepted (with the staff override when one was needed)."""

        def __init__(self, acceptance: SealAcceptance):
            super().__init__()
            self.acceptance = acceptance

    class ApprovalRequired(Message):
        """Accept was pressed on a failed or borderline imprint with no staff signed in."""

        def __init__(self, check: SealCheck):
            super().__init__()
            self.check = check

    def __init__(
        self,
        station: SealStationPort,
        staff_session: Callable[[], StaffUser | None] = lambda: None,
        *,
        fps: float = 6.0,
        name: str | None = None,
    ):
        super().__init__(name=name)
        self.station = station
        self.staff_session = staff_session
        self.fps = fps
        self.live_check: SealCheck | None = None
        self.frozen: SealCheck | None = None
        self._cells = (60, 20)

    def compose(self) -> ComposeResult:
        with Horizontal(id="seal-main"):
            yield HalfBlockPreview(id="preview")
            with Vertical(id="side"):
                yield Label("印模拍摄 Seal imprint", id="title")
                yield Label("实时 LIVE — 按空格拍摄 space to capture", id="mode")
                yield Static("等待画面 waiting for the camera…", id="verdict")
                yield Static("", id="metrics")
                yield Static("", id="camera")
                with Horizontal(id="buttons"):
                    yield Button("拍摄 Capture", id="capture", variant="primary")
                    yield Button("重拍 Retake", id="retake")
                    yield Button("接受 Accept", id="accept", variant="success")
        yield Footer()

    def on_mount(self) -> None:
        self.station.start()
        self._live()

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "seal-live")
        self.station.stop()

    def on_resize(self) -> None:
        p = self.query_one("#preview", HalfBlockPreview)
        self._cells = (max(p.content_size.width, 8), max(p.content_size.height, 4))

    # -- the camera worker --------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="seal-live")
    def _live(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        seq = 0
        period = 1.0 / self.fps
        while not worker.is_cancelled:
            started = time.monotonic()
            try:
                seq, image = self.station.next_frame(seq, timeout=1.0)
            except KioskError as e:
                self.post_message(self.CameraProblem(e.code, e.message))
                if worker.is_cancelled:
                    return
                time.sleep(0.2)  # pacing between attempts of a missing camera, not a test wait
                continue
            check, error = None, None
            try:
                check = self.station.check(seq, image)
                shown = check.image
            except KioskError as e:
                error, shown = e.message, image
            cols, rows = self._cells
            preview = self.station.preview(shown, check, cols, rows)
            self.post_message(self.FrameChecked(check, preview, error))
            left = period - (time.monotonic() - started)
            if left > 0:
                time.sleep(left)  # frame pacing of the live preview

    def on_seal_screen_frame_checked(self, msg: FrameChecked) -> None:
        if self.frozen is not None:
            return
        self.query_one("#preview", HalfBlockPreview).set_image(msg.preview)
        self.query_one("#camera", Static).update("")
        if msg.check is None:
            self._show_verdict(None, msg.error or "")
            return
        self.live_check = msg.check
        self._show_verdict(msg.check)

    def on_seal_screen_camera_problem(self, msg: CameraProblem) -> None:
        state = msg.code.removeprefix("camera.")
        self.query_one("#camera", Static).update(CAMERA_TEXT.get(state, msg.message))

    def _show_verdict(self, check: SealCheck | None, error: str = "") -> None:
        verdict = self.query_one("#verdict", Static)
        verdict.remove_class("pass", "fail", "borderline")
        if check is None:
            verdict.update(f"无法检查 cannot check: {error}")
            verdict.add_class("fail")
            self.query_one("#metrics", Static).update("")
            return
        head, lines = describe(check.analysis)
        verdict.update(head)
        a = check.analysis
        verdict.add_class(
            "fail" if a.verdict == "fail" else "borderline" if a.borderline else "pass"
        )
        self.query_one("#metrics", Static).update("\n".join(lines))

    # -- actions ------------------------------------------------------------------------------
    @on(Button.Pressed, "#capture")
    def action_capture(self) -> None:
        """Freeze the newest checked frame."""
        if self.live_check is None:
            self.notify("还没有画面 no picture yet", severity="warning")
            return
        self.frozen = self.live_check
        self.query_one("#mode", Label).update("已拍摄 CAPTURED — r 重拍 retake, a 接受 accept")
        self._show_verdict(self.frozen)
        cols, rows = self._cells
        self.query_one("#preview", HalfBlockPreview).set_image(
            self.station.preview(self.frozen.image, self.frozen, cols, rows)
        )
        self.post_message(self.Captured(self.frozen))

    @on(Button.Pressed, "#retake")
    def action_retake(self) -> None:
        """Back to the live picture."""
        self.frozen = None
        self.query_one("#mode", Label).update("实时 LIVE — 按空格拍摄 space to capture")

    @on(Button.Pressed, "#accept")
    def action_accept(self) -> None:
        """Accept the captured imprint (a fail or borderline one needs staff and a reason)."""
        if self.frozen is None:
            self.action_capture()
            if self.frozen is None:
                return
        check = self.frozen
        if not check.needs_staff:
            self._finish(check, None, None)
            return
        staff = self.staff_session()
        if staff is None:
            self.post_message(self.ApprovalRequired(check))
            self.notify(
                "未通过检查：请重拍，或请工作人员登录确认\n"
                "Not passed: retake, or a member of staff signs in to approve",
                severity="warning",
                timeout=8,
            )
            return
        head, _ = describe(check.analysis)

        def done(reason: str | None) -> None:
            if reason:
                self._finish(check, staff, reason)

        self.app.push_screen(OverrideDialog(staff, head), done)

    def _finish(self, check: SealCheck, staff: StaffUser | None, reason: str | None) -> None:
        try:
            acceptance = self.station.accept(check, staff, reason)
        except KioskError as e:
            self.notify(e.message, title=e.title, severity="error", timeout=8)
            return
        self.post_message(self.Accepted(acceptance))
        self.dismiss(acceptance)
