"""The seal imprint screen: live camera preview, the check in words, retake and accept.

The preview is drawn with half blocks (▀: foreground = upper pixel, background = lower), two
pixels per terminal cell, which every terminal with true colour shows. A thread worker pulls
frames from the station, checks each one and posts :class:`SealScreen.FrameChecked`; the event
loop only draws. Capture (space) freezes a frame and its verdict; retake (r) goes back to live;
accept (a) takes a clean pass at once, while a fail or a borderline pass needs signed-in staff
and a reason (the station hands the override to the staff area, which records it).
"""

from __future__ import annotations

import threading
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
from textual.widgets import Button, Input

from kiosk.errors import KioskError
from kiosk.seal.view import SealAcceptance, SealCheck, StaffUser
from screens.host import current_lang
from screens.i18n import Bi, bi, t
from screens.widgets.frame import KeyHints
from screens.widgets.text import LangButton, LangText

# Catalogue keys by the check's names (written out so the catalogue test sees each one).
REASON_KEYS = {
    "no_seal": "seal.reason_no_seal",
    "multiple": "seal.reason_multiple",
    "blurred": "seal.reason_blurred",
    "incomplete": "seal.reason_incomplete",
    "deformed": "seal.reason_deformed",
    "faint": "seal.reason_faint",
    "size": "seal.reason_size",
    "shape": "seal.reason_shape",
}
BORDERLINE_KEYS = {
    "deformation": "seal.border_deformation",
    "sharpness": "seal.border_sharpness",
    "completeness": "seal.border_completeness",
    "ink": "seal.border_ink",
    "size": "seal.border_size",
}
SHAPE_KEYS = {
    "round": "seal.shape_round",
    "oval": "seal.shape_oval",
    "rectangle": "seal.shape_rectangle",
}
CAMERA_KEYS = {
    "camera.opening": "seal.cam_opening",
    "camera.no_camera": "seal.cam_no_camera",
    "camera.lost": "seal.cam_lost",
    "camera.ended": "seal.cam_ended",
    "camera.timeout": "seal.cam_timeout",
}
# By SealError code, less its "seal." prefix.
UNUSABLE_KEYS = {
    "too_dark": "seal.too_dark",
    "no_scale": "seal.no_scale",
    "bad_frame": "seal.bad_frame",
    "bad_scale": "seal.no_scale",
}


def _join(parts: list[Bi], zh_sep: str, en_sep: str) -> Bi:
    return Bi(zh_sep.join(p.zh for p in parts), en_sep.join(p.en for p in parts))


def describe(analysis: Any) -> tuple[Bi, Bi]:
    """The verdict line and the metric lines of a check, in both languages."""
    if analysis.verdict == "pass":
        head = bi("seal.pass_borderline" if analysis.borderline else "seal.pass")
    else:
        words = _join([bi(REASON_KEYS[r]) for r in analysis.reasons], "；", "; ")
        head = Bi(
            bi("seal.fail").zh.format(reasons=words.zh), bi("seal.fail").en.format(reasons=words.en)
        )
    lines: list[Bi] = []
    if analysis.shape:
        shape = bi(SHAPE_KEYS[analysis.shape])
        m = bi("seal.m_shape")
        lines.append(Bi(m.zh.format(shape=shape.zh), m.en.format(shape=shape.en)))
    if analysis.diameter_mm is not None:
        lines.append(bi("seal.m_diameter").format(d=f"{analysis.diameter_mm:.1f}"))
    elif analysis.axes_mm is not None:
        a, b = analysis.axes_mm
        lines.append(bi("seal.m_axes").format(a=f"{a:.1f}", b=f"{b:.1f}"))
    elif analysis.size_mm is not None:
        a, b = analysis.size_mm
        lines.append(bi("seal.m_axes").format(a=f"{a:.1f}", b=f"{b:.1f}"))
    if analysis.deformation is not None:
        lines.append(bi("seal.m_deformation").format(v=f"{analysis.deformation:.3f}"))
    if analysis.edge_width_mm is not None:
        lines.append(bi("seal.m_edge").format(v=f"{analysis.edge_width_mm:.2f}"))
    if analysis.completeness is not None:
        lines.append(
            bi("seal.m_border").format(
                pct=f"{analysis.completeness:.0%}", gap=f"{analysis.max_gap_deg:.0f}"
            )
        )
    if analysis.ink is not None:
        lines.append(bi("seal.m_ink").format(v=f"{analysis.ink:.2f}"))
    if analysis.star is not None:
        lines.append(bi("seal.m_star_yes" if analysis.star else "seal.m_star_no"))
    if analysis.rotation_deg is not None:
        lines.append(bi("seal.m_rotation").format(v=f"{analysis.rotation_deg:+.0f}"))
    for metric in analysis.borderline_metrics:
        what = bi(BORDERLINE_KEYS.get(metric, "seal.border_size"))
        m = bi("seal.m_borderline")
        lines.append(Bi(m.zh.format(what=what.zh), m.en.format(what=what.en)))
    lines.append(bi("seal.m_count").format(n=analysis.count, ms=f"{analysis.elapsed_ms:.0f}"))
    return head, _join(lines, "\n", "\n")


class SealStationPort(Protocol):
    """What the screen needs (kiosk.seal.station.SealStation is the real one)."""

    @property
    def camera_state(self) -> str: ...

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
            for up, down in zip(top, bot, strict=True):
                st = _style(up, down)
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
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, staff: StaffUser, summary: Bi):
        super().__init__()
        self.staff = staff
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="override-box"):
            yield LangText(
                bi("seal.approve_title").format(name=self.staff.name, no=self.staff.staff_no)
            )
            yield LangText(self.summary, id="override-summary")
            yield LangText("seal.reason_label")
            yield Input(placeholder=t("seal.reason_hint", current_lang(self)), id="reason")
            with Horizontal(id="override-buttons"):
                yield LangButton("seal.approve", id="approve", variant="warning")
                yield LangButton("seal.cancel", id="cancel")

    @on(Button.Pressed, "#approve")
    @on(Input.Submitted, "#reason")
    def _approve(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify(t("seal.reason_required", current_lang(self)), severity="error")
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
        Binding("space", "capture", show=False),
        Binding("r", "retake", show=False),
        Binding("a", "accept", show=False),
    ]
    HINTS: tuple[str, ...] = (
        "keys.seal_capture",
        "keys.seal_retake",
        "keys.seal_accept",
        "keys.language",
    )

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
                yield LangText("seal.title", id="title")
                yield LangText("seal.live", id="mode")
                yield LangText("seal.waiting", id="verdict")
                yield LangText(Bi(" ", " "), id="metrics")
                yield LangText(Bi(" ", " "), id="camera")
                with Horizontal(id="buttons"):
                    yield LangButton("seal.capture", id="capture", variant="primary")
                    yield LangButton("seal.retake", id="retake")
                    yield LangButton("seal.accept", id="accept", variant="success")
        yield KeyHints(self.HINTS, id="key-hints")

    def on_mount(self) -> None:
        self.station.start()
        self._live()

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "seal-live")
        # Releasing a stream can block on the network: never on the event loop.
        threading.Thread(target=self.station.stop, name="seal-camera-stop", daemon=True).start()

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
                error, shown = e.code, image
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
        self.query_one("#camera", LangText).set_text(Bi(" ", " "))
        if msg.check is None:
            self._show_unusable(msg.error or "")
            return
        self.live_check = msg.check
        self._show_verdict(msg.check)

    def on_seal_screen_camera_problem(self, msg: CameraProblem) -> None:
        text = (
            bi(CAMERA_KEYS[msg.code]) if msg.code in CAMERA_KEYS else Bi(msg.message, msg.message)
        )
        self.query_one("#camera", LangText).set_text(text)

    def _show_unusable(self, code: str) -> None:
        verdict = self.query_one("#verdict", LangText)
        verdict.remove_class("pass", "fail", "borderline")
        verdict.add_class("fail")
        what = bi(UNUSABLE_KEYS.get(code.removeprefix("seal."), "seal.bad_frame"))
        m = bi("seal.unusable")
        verdict.set_text(Bi(m.zh.format(what=what.zh), m.en.format(what=what.en)))
        self.query_one("#metrics", LangText).set_text(Bi(" ", " "))

    def _show_verdict(self, check: SealCheck) -> None:
        verdict = self.query_one("#verdict", LangText)
        verdict.remove_class("pass", "fail", "borderline")
        head, lines = describe(check.analysis)
        verdict.set_text(head)
        a = check.analysis
        verdict.add_class(
            "fail" if a.verdict == "fail" else "borderline" if a.borderline else "pass"
        )
        self.query_one("#metrics", LangText).set_text(lines)

    # -- actions ------------------------------------------------------------------------------
    @on(Button.Pressed, "#capture")
    def action_capture(self) -> None:
        """Freeze the newest checked frame."""
        if self.live_check is None:
            self.notify(t("seal.no_picture", current_lang(self)), severity="warning")
            return
        self.frozen = self.live_check
        self.query_one("#mode", LangText).set_text("seal.captured")
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
        self.query_one("#mode", LangText).set_text("seal.live")

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
            self.notify(t("seal.need_staff", current_lang(self)), severity="warning", timeout=8)
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
