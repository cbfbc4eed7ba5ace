"""The seal station: the camera, the imprint check and the accept rule, for the seal screen.

The screen never touches the camera or OpenCV; it calls this port from a thread worker and
shows what comes back. The acceptance rule lives here, not in the screen: an imprint that fails
or is borderline is accepted only by signed-in staff with a reason, and that approval is handed
to ``approve`` (the staff area records it in the audit log) before the seal is extracted.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from hardware.camera import CameraConfig, OpenCVCamera, config_from_settings
from hardware.seal import RuleTable, SealRule, check_frame
from hardware.seal.extract import extract_seal
from hardware.sim.seal_samples import VIDEO_PX_PER_MM, training_video
from kiosk.errors import StaffError
from kiosk.seal.view import OverrideRequest, SealAcceptance, SealCheck, StaffUser

Approver = Callable[[OverrideRequest], None]


class SealStation:
    """Camera + check + accept, behind one small interface for the seal screen.

    Args:
        camera: an opened or unopened camera (``start`` opens it).
        rule: the rules-table row for the applicant's unit type and seal type.
        px_per_mm: fixed scale, or None to rely on the capture mat's markers.
        approve: records a staff override (the staff area's audit call); raising StaffError
            refuses it.
    """

    def __init__(
        self,
        camera: OpenCVCamera,
        rule: SealRule | None,
        px_per_mm: float | None,
        approve: Approver | None = None,
    ):
        self.camera = camera
        self.rule = rule
        self.px_per_mm = px_per_mm
        self.approve = approve

    @classmethod
    def from_settings(
        cls,
        camera_settings: object,
        unit_type: str = "enterprise",
        seal_type: str = "official",
        *,
        source: str | None = None,
        approve: Approver | None = None,
    ) -> SealStation:
        """Build from kiosk.toml's ``[devices.camera]`` (``source`` overrides, e.g. training)."""
        cfg: CameraConfig = config_from_settings(camera_settings, source=source)
        ppm = float(getattr(camera_settings, "px_per_mm", 0.0)) or None
        rule = RuleTable.load().find(unit_type, seal_type)
        return cls(OpenCVCamera(cfg), rule, ppm, approve)

    @classmethod
    def for_training(
        cls,
        unit_type: str = "enterprise",
        seal_type: str = "official",
        *,
        approve: Approver | None = None,
    ) -> SealStation:
        """Training mode: the sample camera video (hardware/sim/imprints) at its known scale."""
        cam = OpenCVCamera(CameraConfig(source=str(training_video()), loop=True))
        rule = RuleTable.load().find(unit_type, seal_type)
        return cls(cam, rule, VIDEO_PX_PER_MM, approve)

    # -- camera -------------------------------------------------------------------------------
    def start(self) -> None:
        """Open the camera (returns at once)."""
        self.camera.open()

    def stop(self) -> None:
        """Release the camera."""
        self.camera.close()

    @property
    def camera_state(self) -> str:
        """``live``, ``no_camera``, ``lost``, ``ended``, ``opening`` or ``closed``."""
        return self.camera.state.value

    def next_frame(self, after_seq: int, timeout: float = 1.0) -> tuple[int, np.ndarray]:
        """The next frame after ``after_seq``; CameraError when the camera has none."""
        f = self.camera.wait_frame(after_seq, timeout)
        return f.seq, f.image

    # -- check --------------------------------------------------------------------------------
    def check(self, seq: int, image: np.ndarray) -> SealCheck:
        """Analyse one frame (SealError when it is unusable: black, no scale)."""
        analysis, measured = check_frame(image, self.px_per_mm, self.rule)
        return SealCheck(seq, analysis, measured)

    def preview(
        self, image: np.ndarray, check: SealCheck | None, cols: int, rows: int
    ) -> np.ndarray:
        """The frame shrunk to ``cols`` × ``2·rows`` RGB pixels (two per terminal cell), with the
        found seal outlined: green pass, amber borderline, red fail."""
        cols, rows = max(cols, 4), max(rows, 2)
        h, w = image.shape[:2]
        scale = min(cols / w, 2 * rows / h)
        out_w, out_h = max(1, int(w * scale)), max(1, int(h * scale))
        small = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_AREA)
        if check is not None and check.image is image and check.analysis.centre_px is not None:
            a = check.analysis
            colour = (40, 40, 220)
            if a.verdict == "pass":
                colour = (0, 170, 255) if a.borderline else (60, 200, 60)
            cx, cy = a.centre_px
            ew, eh, ang = a.ellipse_px or (0, 0, 0)
            cv2.ellipse(
                small,
                ((cx * scale, cy * scale), (ew * scale + 2, eh * scale + 2), ang),
                colour,
                1,
            )
        return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)

    # -- accept -------------------------------------------------------------------------------
    def accept(
        self, check: SealCheck, staff: StaffUser | None = None, reason: str | None = None
    ) -> SealAcceptance:
        """Accept a checked imprint and extract the electronic seal.

        A clean pass needs nobody. A fail or a borderline pass needs signed-in staff and a
        reason; the override goes to ``approve`` (recorded by the staff area) first.

        Raises:
            StaffError: ``staff.approval_required`` (no staff signed in) or
                ``staff.reason_required`` (empty reason), or the approver's refusal.
            SealError: the seal cannot be extracted (no single seal in the frame).
        """
        override = None
        if check.needs_staff:
            if staff is None:
                raise StaffError(
                    "this imprint did not pass the check: a member of staff must sign in and "
                    "approve it with a reason, or retake the photo",
                    code="staff.approval_required",
                )
            if not reason or not reason.strip():
                raise StaffError("give the reason for accepting it", code="staff.reason_required")
            a = check.analysis
            override = OverrideRequest(
                staff_no=staff.staff_no,
                reason=reason.strip(),
                verdict=a.verdict,
                reasons=tuple(a.reasons),
                borderline_metrics=tuple(a.borderline_metrics),
                metrics=a.to_json(),
            )
            if self.approve is not None:
                self.approve(override)
        seal = None
        if check.analysis.count == 1:
            seal = extract_seal(check.image, check.analysis)
        return SealAcceptance(check, seal, override)
