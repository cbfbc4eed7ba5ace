"""The capture mat: four ArUco markers of known size, for scale and perspective.

The form is laid on a printed mat (A5 landscape) with a marker in each corner. Finding the four
markers gives a homography from the photo to the mat's plane; the frame is then warped to a
top-down image at a fixed scale, so sizes are in millimetres and a tilted camera does not make a
round seal look oval.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.errors import CameraError

_DICT = cv2.aruco.DICT_4X4_50


@dataclass(frozen=True)
class MatSpec:
    """Geometry of the capture mat, in millimetres.

    Marker ``ids[i]`` sits in corner i (top-left, top-right, bottom-right, bottom-left), its outer
    corner ``margin_mm`` in from the mat's corner.
    """

    width_mm: float = 160.0
    height_mm: float = 100.0
    marker_mm: float = 12.0
    margin_mm: float = 3.0
    ids: tuple[int, int, int, int] = (0, 1, 2, 3)

    @property
    def window_inset_mm(self) -> float:
        """Where the window for the form starts, in from each edge (past the markers)."""
        return self.margin_mm + self.marker_mm + 1.0

    def marker_corners_mm(self) -> dict[int, np.ndarray]:
        """The four corners (TL, TR, BR, BL) of each marker on the mat, in mm."""
        m, s = self.margin_mm, self.marker_mm
        origins = [
            (m, m),
            (self.width_mm - m - s, m),
            (self.width_mm - m - s, self.height_mm - m - s),
            (m, self.height_mm - m - s),
        ]
        out = {}
        for mid, (x, y) in zip(self.ids, origins, strict=True):
            out[mid] = np.array([(x, y), (x + s, y), (x + s, y + s), (x, y + s)], np.float32)
        return out


def _detector() -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(_DICT), params)


def render_mat(spec: MatSpec | None = None, px_per_mm: float = 11.811) -> np.ndarray:
    """The mat as a BGR image to print (default 300 dpi), white with the four markers."""
    spec = spec or MatSpec()
    w, h = round(spec.width_mm * px_per_mm), round(spec.height_mm * px_per_mm)
    img = np.full((h, w), 255, np.uint8)
    dictionary = cv2.aruco.getPredefinedDictionary(_DICT)
    side = round(spec.marker_mm * px_per_mm)
    for mid, corners in spec.marker_corners_mm().items():
        x, y = (corners[0] * px_per_mm).round().astype(int)
        img[y : y + side, x : x + side] = cv2.aruco.generateImageMarker(dictionary, mid, side)
    # A thin frame where the form goes, so staff see where to lay it.
    m = round(spec.window_inset_mm * px_per_mm)
    cv2.rectangle(img, (m, m), (w - m, h - m), 200, 1)
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


@dataclass
class MatView:
    """A frame warped onto the mat's plane."""

    image: np.ndarray
    px_per_mm: float
    homography: np.ndarray
    markers: int
    reprojection_px: float


def find_mat(
    frame: np.ndarray, spec: MatSpec | None = None, out_px_per_mm: float = 8.0
) -> MatView | None:
    """Find the mat's markers and warp the frame top-down.

    Args:
        frame: BGR camera frame.
        spec: the mat's geometry.
        out_px_per_mm: scale of the warped image.

    Returns:
        The warped view, or None when fewer than 3 of the 4 markers are seen.
    """
    spec = spec or MatSpec()
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    corners, ids = _detect(gray)
    if ids is None:
        return None
    known = spec.marker_corners_mm()
    src, dst = [], []
    seen = 0
    for c, i in zip(corners, ids.ravel(), strict=True):
        if int(i) in known:
            src.append(c.reshape(4, 2))
            dst.append(known[int(i)] * out_px_per_mm)
            seen += 1
    if seen < 3:
        return None
    src_a = np.concatenate(src).astype(np.float32)
    dst_a = np.concatenate(dst).astype(np.float32)
    hmat, _ = cv2.findHomography(src_a, dst_a, 0)
    if hmat is None:
        return None
    proj = cv2.perspectiveTransform(src_a[None], hmat)[0]
    err = float(np.sqrt(((proj - dst_a) ** 2).sum(axis=1)).mean())
    # Only the window inside the markers: the imprint is there (the markers must stay
    # uncovered), and warping half the pixels halves the cost.
    inset = spec.window_inset_mm * out_px_per_mm
    shift = np.array([[1, 0, -inset], [0, 1, -inset], [0, 0, 1]], np.float64)
    size = (
        round((spec.width_mm - 2 * spec.window_inset_mm) * out_px_per_mm),
        round((spec.height_mm - 2 * spec.window_inset_mm) * out_px_per_mm),
    )
    warped = cv2.warpPerspective(
        frame, shift @ hmat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return MatView(warped, out_px_per_mm, shift @ hmat, seen, err)


def _detect(gray: np.ndarray) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Markers' corners in full-resolution pixels.

    Large frames are searched at half size (a third of the time) and the corners refined on the
    full image, so the scale is as precise as a full-size search.
    """
    if min(gray.shape[:2]) < 600:
        corners, ids, _ = _detector().detectMarkers(gray)
        return list(corners), ids
    half = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    corners, ids, _ = _detector().detectMarkers(half)
    if ids is None:
        return [], None
    pts = (np.concatenate([c.reshape(-1, 2) for c in corners]) * 2.0 + 0.5).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.01)
    cv2.cornerSubPix(gray, pts, (5, 5), (-1, -1), criteria)
    return [pts[4 * k : 4 * k + 4].reshape(1, 4, 2) for k in range(len(corners))], ids


def require_mat(
    frame: np.ndarray, spec: MatSpec | None = None, out_px_per_mm: float = 8.0
) -> MatView:
    """Like :func:`find_mat`, but a missing mat is a named error."""
    view = find_mat(frame, spec, out_px_per_mm)
    if view is None:
        raise CameraError(
            "the capture mat's four corner markers are not all visible: lay the form on the mat "
            "and keep the corners uncovered",
            code="camera.no_mat",
        )
    return view


@dataclass
class MatScale:
    """The scale of a frame on the mat's plane, measured from the markers' centres."""

    px_per_mm: float
    tilt: float  # longest / shortest of opposite sides' scales; 1.0 = camera square to the mat
    markers: int


def measure_scale(frame: np.ndarray, spec: MatSpec | None = None) -> MatScale | None:
    """Pixels per millimetre of the mat in this (uncorrected) frame, from its four markers.

    Uses the distances between marker centres (a long baseline, so a pixel of error is small).

    Returns:
        The scale, or None unless all four markers are seen.
    """
    spec = spec or MatSpec()
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    corners, ids = _detect(gray)
    if ids is None:
        return None
    seen = {int(i): c.reshape(4, 2).mean(axis=0) for c, i in zip(corners, ids.ravel(), strict=True)}
    if not all(i in seen for i in spec.ids):
        return None
    known = {i: c.mean(axis=0) for i, c in spec.marker_corners_mm().items()}
    scales = []
    order = list(spec.ids)
    for a, b in zip(order, order[1:] + order[:1], strict=True):
        px = float(np.linalg.norm(seen[a] - seen[b]))
        mm = float(np.linalg.norm(known[a] - known[b]))
        scales.append(px / mm)
    tilt = max(
        scales[0] / scales[2], scales[2] / scales[0], scales[1] / scales[3], scales[3] / scales[1]
    )
    return MatScale(float(np.mean(scales)), float(tilt), 4)
