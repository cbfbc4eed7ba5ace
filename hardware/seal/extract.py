"""A clean electronic-seal image from a measured imprint.

Output: red on a transparent background (RGBA PNG), the paper, form lines and print removed
(they have no red), turned upright, at a fixed physical resolution of 300 dpi (11.811 px/mm)
whatever the camera's scale. The picture is a whole number of millimetres wide and high (the seal
plus a transparent margin), so the seal object's integer width and height in mm are exact; the
seal's measured size is recorded too, in the .json beside the PNG.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from hardware.seal.analysis import SealAnalysis, paper_gains, redness
from kiosk.errors import SealError

OUT_DPI = 300
OUT_PX_PER_MM = OUT_DPI / 25.4
SEAL_RED = (230, 0, 18)  # RGB of the electronic seal's ink
MARGIN_MM = 0.6


@dataclass
class ExtractedSeal:
    """The electronic seal image and its physical size."""

    rgba: np.ndarray  # (H, W, 4) uint8, RGBA
    width_mm: float  # the seal's measured size (diameter, or axes / sides)
    height_mm: float
    picture_width_mm: int  # the picture's printed size: the seal plus a transparent margin,
    picture_height_mm: int  # whole millimetres (the seal object, GB/T 38540, stores integers)
    px_per_mm: float
    dpi: int
    shape: str
    rotation_corrected_deg: float

    def meta(self) -> dict[str, object]:
        """Everything but the pixels (the JSON written beside the PNG)."""
        d = asdict(self)
        d.pop("rgba")
        d["width_px"], d["height_px"] = int(self.rgba.shape[1]), int(self.rgba.shape[0])
        return d

    def png_bytes(self) -> bytes:
        """The picture as PNG bytes (with its dpi), e.g. for the seal object's picture."""
        buf = io.BytesIO()
        Image.fromarray(self.rgba, "RGBA").save(buf, format="PNG", dpi=(self.dpi, self.dpi))
        return buf.getvalue()

    def save(self, path: Path) -> Path:
        """Write ``path`` (PNG with its dpi) and the .json beside it; return the .json's path.

        Raises:
            SealError: ``seal.write_failed`` when the files cannot be written.
        """
        meta_path = path.with_suffix(".json")
        try:
            Image.fromarray(self.rgba, "RGBA").save(path, format="PNG", dpi=(self.dpi, self.dpi))
            meta_path.write_text(json.dumps(self.meta(), indent=2) + "\n", encoding="utf-8")
        except (OSError, ValueError) as e:
            raise SealError(f"cannot write {path}: {e}", code="seal.write_failed") from e
        return meta_path


def extract_seal(
    frame: np.ndarray, analysis: SealAnalysis, *, out_px_per_mm: float = OUT_PX_PER_MM
) -> ExtractedSeal:
    """Cut the measured seal out of the frame it was measured on.

    Args:
        frame: the BGR image the analysis ran on (warped top-down when the mat was used).
        analysis: the result of :func:`hardware.seal.analyse` on that frame.
        out_px_per_mm: output resolution (default 300 dpi).

    Raises:
        SealError: ``seal.nothing_to_extract`` when there is no single seal in the analysis.
    """
    if analysis.count != 1 or analysis.centre_px is None or analysis.ellipse_px is None:
        what = "no seal" if analysis.count == 0 else f"{analysis.count} seals"
        raise SealError(
            f"cannot extract: the photo shows {what}; exactly one is needed",
            code="seal.nothing_to_extract",
        )
    cx, cy = analysis.centre_px
    ew, eh, eang = analysis.ellipse_px
    shape = analysis.shape or "round"
    ppm_in = analysis.px_per_mm
    if shape == "round":
        turn = analysis.rotation_deg or 0.0  # clockwise as seen: turn back counter-clockwise
        w_mm = h_mm = analysis.diameter_mm or (ew + eh) / 2 / ppm_in
    else:
        # Oval and rectangle: the long axis horizontal.
        major_angle = eang if ew >= eh else eang + 90.0
        turn = ((major_angle + 90.0) % 180.0) - 90.0
        w_mm, h_mm = max(ew, eh) / ppm_in, min(ew, eh) / ppm_in
    k = out_px_per_mm / ppm_in
    # A whole number of millimetres, so the picture's printed size is exact in the seal object.
    pic_w_mm = math.ceil(w_mm + 2 * MARGIN_MM)
    pic_h_mm = math.ceil(h_mm + 2 * MARGIN_MM)
    out_w = round(pic_w_mm * out_px_per_mm)
    out_h = round(pic_h_mm * out_px_per_mm)
    m = cv2.getRotationMatrix2D((cx, cy), turn, k)
    m[0, 2] += out_w / 2 - cx
    m[1, 2] += out_h / 2 - cy
    interp = cv2.INTER_CUBIC if k > 1 else cv2.INTER_AREA
    patch = cv2.warpAffine(frame, m, (out_w, out_h), flags=interp, borderMode=cv2.BORDER_REPLICATE)
    red = redness(patch, paper_gains(frame)).astype(np.float32)
    level = max(analysis.ink_level, 30.0)
    lo, hi = max(14.0, 0.25 * level), 0.75 * level
    alpha = np.clip((red - lo) / max(hi - lo, 1.0), 0.0, 1.0)
    # Where the form's black print crosses the imprint the ink is hidden, not absent: fill
    # those thin dark lines from the ink on either side (a closing limited to dark pixels).
    gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY)
    paper = float(np.percentile(gray, 90))
    dark = (gray < 0.55 * paper) & (red < lo)
    if dark.any():
        k = max(3, round(0.5 * out_px_per_mm) | 1)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        closed = cv2.morphologyEx(alpha, cv2.MORPH_CLOSE, kernel)
        alpha = np.where(dark, closed, alpha)
    # Nothing outside the seal's outline (form print, scribbles, a neighbour's ink).
    keep = np.zeros((out_h, out_w), np.uint8)
    centre = (out_w / 2, out_h / 2)
    half_w = w_mm * out_px_per_mm / 2 + MARGIN_MM * out_px_per_mm / 2
    half_h = h_mm * out_px_per_mm / 2 + MARGIN_MM * out_px_per_mm / 2
    if shape == "rectangle":
        cv2.rectangle(
            keep,
            (int(centre[0] - half_w), int(centre[1] - half_h)),
            (int(centre[0] + half_w), int(centre[1] + half_h)),
            255,
            -1,
        )
    else:
        cv2.ellipse(keep, (centre, (2 * half_w, 2 * half_h), 0.0), 255, -1)
    alpha *= keep.astype(np.float32) / 255.0
    rgba = np.zeros((out_h, out_w, 4), np.uint8)
    rgba[:, :, 0], rgba[:, :, 1], rgba[:, :, 2] = SEAL_RED
    rgba[:, :, 3] = np.round(alpha * 255).astype(np.uint8)
    return ExtractedSeal(
        rgba=rgba,
        width_mm=round(w_mm, 2),
        height_mm=round(h_mm, 2),
        picture_width_mm=pic_w_mm,
        picture_height_mm=pic_h_mm,
        px_per_mm=round(out_px_per_mm, 3),
        dpi=OUT_DPI,
        shape=shape,
        rotation_corrected_deg=round(turn, 1),
    )
