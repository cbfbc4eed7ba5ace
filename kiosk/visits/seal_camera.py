"""The visit's seal step on the live camera: which camera, the evidence frame, the step's inputs.

The visit screen opens the live seal screen (screens/seal.py) on a :class:`SealStation` that
:func:`open_station` builds and checks: the counter's camera from ``[devices.camera]``; in
training the rig's camera, which plays what the simulator panel shows (the session video for a
good imprint, the chosen still for a bad one) and follows the panel when it changes; or, for
staff only, a photo file shown as a steady picture (the counter's fallback when the camera is
broken). The accepted frame is saved losslessly as the visit's evidence file, and its path goes
to the flow engine's seal step, which analyses it again and extracts the seal (kiosk.visits);
the step's journal keeps the path, so a resumed visit whose seal step is done never asks again.

No textual import here.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from hardware.camera import CameraConfig, OpenCVCamera
from hardware.seal import RuleTable, SealRule
from kiosk.domain.clock import SYSTEM_CLOCK, Clock
from kiosk.errors import CameraError, KioskError, SealError, VisitError
from kiosk.seal.station import Approver, SealStation
from kiosk.seal.view import SealAcceptance

#: How long the camera may take to give its first picture before the visit says it has none.
FIRST_FRAME_S = 5.0


class TrainingSealStation(SealStation):
    """Training mode's station: the camera plays ``rig.camera_source()`` at its known scale.

    Choosing another imprint in the simulator panel (F9) while the seal screen is open switches
    the camera to it at the next frame, as moving another form under a real camera would.
    """

    def __init__(self, rig: Any, rule: SealRule | None, approve: Approver | None = None):
        self.rig = rig
        self._lock = threading.Lock()
        self._source = str(rig.camera_source())
        super().__init__(_file_camera(self._source), rule, _training_scale(self._source), approve)

    def start(self) -> None:
        """Open the camera on what the panel shows now."""
        with self._lock:
            self._follow_panel()
            self.camera.open()

    def stop(self) -> None:
        """Release the camera."""
        with self._lock:
            self.camera.close()

    def next_frame(self, after_seq: int, timeout: float = 1.0) -> tuple[int, np.ndarray]:
        """The next frame; after a switch of imprint, the new camera's first one."""
        with self._lock:
            if self._follow_panel():
                self.camera.open()
                after_seq = 0
            camera = self.camera
        f = camera.wait_frame(after_seq, timeout)
        return f.seq, f.image

    def _follow_panel(self) -> bool:
        source = str(self.rig.camera_source())
        if source == self._source:
            return False
        self.camera.close()
        self._source = source
        self.camera = _file_camera(source)
        self.px_per_mm = _training_scale(source)
        return True


def _file_camera(source: str) -> OpenCVCamera:
    return OpenCVCamera(CameraConfig(source=source, loop=True, realtime=True))


def _training_scale(source: str) -> float:
    from hardware.sim.seal_samples import SAMPLE_PX_PER_MM, VIDEO_PX_PER_MM

    return VIDEO_PX_PER_MM if source.endswith(".mp4") else SAMPLE_PX_PER_MM


def _rule(unit_type: str, seal_type: str) -> SealRule | None:
    return RuleTable.load().find(unit_type, seal_type)


def open_station(
    settings: Any,
    *,
    rig: Any = None,
    unit_type: str = "enterprise",
    seal_type: str = "official",
    photo: str | None = None,
    staff_no: str | None = None,
    first_frame_s: float = FIRST_FRAME_S,
) -> SealStation:
    """A started station that has given its first picture (call in a worker thread).

    Args:
        settings: kiosk settings (``devices.camera``).
        rig: training mode's rig (its camera plays the panel's imprint), or None.
        unit_type, seal_type: pick the size and shape rule of the imprint.
        photo: a photo file instead of the camera (staff only: ``staff_no`` must be given).
        staff_no: the signed-in staff member, for the photo fallback.
        first_frame_s: how long to wait for the first picture.

    Raises:
        VisitError: ``visit.photo_staff_only`` (a photo without staff signed in),
            ``visit.no_camera`` (no picture from the camera: not connected, wrong
            ``devices.camera.source``, unplugged), with what to do next.
        SealError: the photo file is missing, not an image or too large.
    """
    rule = _rule(unit_type, seal_type)
    station: SealStation
    if photo is not None:
        if not staff_no:
            raise VisitError(
                "only signed-in staff may use a photo file instead of the camera",
                code="visit.photo_staff_only",
            )
        from hardware.seal.image import load_image

        load_image(photo)  # named refusals: not found, not an image, too large
        ppm = float(settings.devices.camera.px_per_mm) or None
        if ppm is None and rig is not None:
            from hardware.sim.seal_samples import SAMPLE_PX_PER_MM

            ppm = SAMPLE_PX_PER_MM  # training photos are the sample stills' scale
        station = SealStation(_file_camera(photo), rule, ppm)
    elif rig is not None:
        station = TrainingSealStation(rig, rule)
    else:
        station = SealStation.from_settings(settings.devices.camera, unit_type, seal_type)
    station.start()
    try:
        station.next_frame(0, timeout=first_frame_s)
    except CameraError as e:
        station.stop()
        where = photo or str(getattr(settings.devices.camera, "source", "?"))
        raise VisitError(
            f"no picture from the seal camera ({where}): {e.message}; check that the camera is "
            "connected and devices.camera.source in kiosk.toml (kiosk doctor), or staff sign "
            "in (F12) and use a photo of the imprint",
            code="visit.no_camera",
        ) from e
    return station


def save_evidence(
    base: Path, order_no: str, acceptance: SealAcceptance, *, clock: Clock = SYSTEM_CLOCK
) -> dict[str, Any]:
    """Save the accepted frame as the visit's evidence (PNG, lossless: the engine measures the
    same pixels again) under ``<base>/evidence/<order>/``.

    Returns:
        ``{"path", "px_per_mm"}``: the file and the scale the frame was measured at.

    Raises:
        SealError: ``seal.evidence_write`` when the file cannot be written.
    """
    check = acceptance.check
    folder = Path(base) / "evidence" / order_no
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"seal-{stamp}-{check.seq}.png"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ok = cv2.imwrite(str(path), check.image)
    except (OSError, cv2.error) as e:
        raise SealError(
            f"cannot save the imprint photo {path}: {e}", code="seal.evidence_write"
        ) from e
    if not ok:
        raise SealError(f"cannot save the imprint photo {path}", code="seal.evidence_write")
    return {"path": str(path), "px_per_mm": float(check.analysis.px_per_mm) or None}


def seal_inputs(
    base: Path,
    order_no: str,
    acceptance: SealAcceptance,
    seal_type: str,
    *,
    override_id: int | None = None,
    source: str = "camera",
) -> dict[str, Any]:
    """The engine's seal-step inputs for an accepted imprint (saves the evidence first).

    ``override_id``: the staff area's ``accept_seal`` override (in force) when the check did not
    pass cleanly; the engine reads who made and approved it from the store.
    """
    if acceptance.check.needs_staff and override_id is None:
        raise KioskError(
            "this imprint needs a staff override before it can be used",
            code="staff.approval_required",
        )
    ev = save_evidence(base, order_no, acceptance)
    si: dict[str, Any] = {
        "path": ev["path"],
        "px_per_mm": ev["px_per_mm"],
        "seal_type": seal_type,
        "source": source,
    }
    if override_id is not None:
        si["override"] = {"id": int(override_id)}
    return {"seal_image": si}
