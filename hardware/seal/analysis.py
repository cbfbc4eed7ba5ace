"""Measure a seal imprint (印模) in one frame and judge it against the rules table.

The pipeline, per frame (about 10 ms for 1280×720 on one core of this machine):

1. *Redness*: ``(R - max(G, B)) / R`` per pixel. Red ink multiplies the paper's colour, so this
   ratio is the ink's own strength, the same under bright or dim light; black print, blue pen
   and grey paper come out near zero.
2. *Candidates*: on a copy shrunk to about 4 px/mm, threshold, close small gaps, outer contours.
3. *Ring*: for each candidate, a polar transform around the fitted ellipse gives a radial
   profile per degree. From it: whether the border is inked at that angle (completeness, the
   longest gap = a missing sector), the border's outer edge at half of the ink's strength
   (sub-pixel; the ellipse fitted through these points gives size and axis ratio), the edge's
   width (sharpness, in mm, so a blur is judged at the seal's scale) and the ink's strength.
4. *Star and rotation*: the blob at the centre, its radial signature's fifth harmonic (a
   five-pointed star has a strong one; its phase gives the rotation modulo 72°), and the
   angular gap of the arc text, which says where the bottom is.

A candidate counts as a seal only with most of a border and ink inside it; a red pen scribble has
neither. The verdict uses a fixed set of reasons (``REASONS``) and a ``borderline`` flag when a
metric is inside its margin, so staff look.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from hardware.seal.rules import SealRule
from kiosk.errors import SealError

REASONS = ("no_seal", "multiple", "blurred", "incomplete", "deformed", "faint", "size", "shape")

# Pixels darker than this in red are print or shadow, whatever their hue: a black text's colour
# noise would otherwise look red after the division.
_MIN_R = 60
_MIN_EXCESS = 8  # R − max(G, B) in counts below which nothing is ink
# Candidates are searched on a copy at about this scale (px/mm).
_WORK_PX_PER_MM = 4.0
_MAX_CANDIDATES = 6


@dataclass(frozen=True)
class Thresholds:
    """Limits and margins of the verdict. A metric inside its margin sets ``borderline``.

    The values were set on the generated corpus (tests/sealgen.py) and real-camera figures: a
    sharp photo's border edge is 0.1–0.3 mm wide, a visibly soft one over 0.6 mm.
    """

    ink_low: int = 16  # redness (0–255) that counts as ink at all
    min_diameter_mm: float = 15.0  # smaller red things are not seals
    max_diameter_mm: float = 75.0  # nor larger ones (the largest, the State Council's, is 60 mm)
    seal_min_border: float = 0.5  # border inked at this fraction of angles to count as a seal
    seal_min_interior: float = 0.001  # and this fraction of the inside inked (text, star)
    seal_max_interior: float = 0.5  # a solid red disc or sticker is not a seal
    seal_min_ring_mm: float = 0.6  # a seal's border is a band; a pen-drawn circle is a line
    max_deformation: float = 1.06
    deformation_margin: float = 0.02
    oval_min_ratio: float = 1.30  # axis ratio from which a shape is an oval, not a bad circle
    max_edge_mm: float = 0.70
    edge_margin_mm: float = 0.12
    max_fit_residual: float = 0.02  # border points' median distance off the ellipse / radius
    min_completeness: float = 0.85
    completeness_margin: float = 0.05
    max_gap_deg: float = 20.0
    gap_margin_deg: float = 6.0
    min_ink: float = 0.30
    ink_margin: float = 0.08
    star_min_harmonic: float = 0.10
    rect_min_fill: float = 0.90  # hull area / min-area-rectangle area


@dataclass
class SealAnalysis:
    """Everything measured in one frame, and the verdict.

    Sizes are in millimetres, angles in degrees (rotation: clockwise as seen, the amount to turn
    back to make the seal upright), ratios in 0–1 unless said otherwise.
    """

    verdict: str = "fail"
    reasons: list[str] = field(default_factory=list)
    borderline: bool = False
    borderline_metrics: list[str] = field(default_factory=list)
    shape: str | None = None
    diameter_mm: float | None = None
    axes_mm: tuple[float, float] | None = None
    size_mm: tuple[float, float] | None = None  # bounding width × height, for the seal object
    sharpness: float | None = None
    edge_width_mm: float | None = None
    completeness: float | None = None
    max_gap_deg: float | None = None
    deformation: float | None = None
    ink: float | None = None
    star: bool | None = None
    rotation_deg: float | None = None
    count: int = 0
    red_objects: int = 0
    px_per_mm: float = 0.0
    scale_source: str = "fixed"
    rule: str | None = None
    notes: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    # Where the seal is in the analysed image (pixels): centre, ellipse axes and angle.
    centre_px: tuple[float, float] | None = None
    ellipse_px: tuple[float, float, float] | None = None
    ink_level: float = 0.0  # the ink's redness (0–255) at the border, for extraction

    def to_json(self) -> dict[str, object]:
        """The CLI's JSON object (the issue's keys first, then the rest)."""
        d = asdict(self)
        out: dict[str, object] = {
            k: d.pop(k)
            for k in (
                "verdict",
                "reasons",
                "borderline",
                "shape",
                "diameter_mm",
                "axes_mm",
                "sharpness",
                "completeness",
                "deformation",
                "count",
                "elapsed_ms",
            )
        }
        for k in ("centre_px", "ellipse_px", "ink_level"):
            d.pop(k)
        out.update(d)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items()}


def paper_gains(bgr: np.ndarray) -> np.ndarray:
    """Per-channel gains that make the paper grey (a white balance on the frame's median).

    Warm light makes white paper look reddish; dividing by the paper's colour removes that
    before red is measured. The median of a sparse grid is the paper: ink covers far less.
    """
    sample = bgr[::7, ::7].reshape(-1, 3)
    paper = np.asarray(np.median(sample, axis=0), dtype=np.float64)
    paper = np.maximum(paper, 1.0)
    return (float(paper.max()) / paper).astype(np.float32)


def redness(bgr: np.ndarray, gains: np.ndarray | None = None) -> np.ndarray:
    """Per-pixel red-ink strength 0–255: ``255 · (R − max(G, B)) / R``, 0 where R is dark.

    Args:
        bgr: the image.
        gains: per-channel white-balance gains from :func:`paper_gains`, applied first.
    """
    if gains is not None and not np.allclose(gains, 1.0, atol=0.01):
        bgr = cv2.transform(bgr, np.diag(gains).astype(np.float32))
    b, g, r = cv2.split(bgr)
    diff = cv2.subtract(r, cv2.max(g, b))
    # A few counts of red excess on dark print (a camera's black level, colour fringes at the
    # edges of black lines) would be a large ratio: require some absolute excess too.
    _, diff = cv2.threshold(diff, _MIN_EXCESS - 1, 255, cv2.THRESH_TOZERO)
    red = cv2.divide(diff, r, scale=255)
    _, bright = cv2.threshold(r, _MIN_R - 1, 255, cv2.THRESH_BINARY)
    return cv2.bitwise_and(red, bright)


@dataclass
class _Ring:
    """Polar measurements of one candidate (full-resolution pixels)."""

    ellipse: tuple[tuple[float, float], tuple[float, float], float]
    completeness: float
    max_gap_deg: float
    ink_level: float
    edge_px: float
    interior: float
    polar: np.ndarray
    max_radius: float
    r_expected: np.ndarray
    n_edge: int
    residual: float
    ring_px: float


def _ellipse_radius(theta: np.ndarray, a: float, b: float, alpha_rad: float) -> np.ndarray:
    t = theta - alpha_rad
    return (a * b) / np.sqrt((b * np.cos(t)) ** 2 + (a * np.sin(t)) ** 2 + 1e-9)


def _longest_run(flags: np.ndarray) -> int:
    """Longest circular run of True in a 1-D bool array."""
    if flags.all():
        return len(flags)
    if not flags.any():
        return 0
    # Rotate so the array starts just after a False: circular runs become linear ones.
    start = int(np.argmin(flags)) + 1
    f = np.roll(flags, -start).astype(np.int8)
    d = np.diff(np.concatenate(([0], f, [0])))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return int((ends - starts).max())


def _measure_ring(
    red: np.ndarray,
    ellipse: cv2.typing.RotatedRect,
    ink_low: int,
    ring_window: float,
) -> _Ring | None:
    (cx, cy), (w, h), ang = ellipse
    a, b = w / 2.0, h / 2.0
    if min(a, b) < 4:
        return None
    max_radius = 1.18 * max(a, b)
    n_ang = 360
    n_rad = max(16, math.ceil(max_radius))
    polar = cv2.warpPolar(
        red,
        (n_rad, n_ang),
        (float(cx), float(cy)),
        max_radius,
        cv2.WARP_POLAR_LINEAR | cv2.INTER_LINEAR | cv2.WARP_FILL_OUTLIERS,
    )
    step = max_radius / n_rad  # pixels per radial sample
    theta = np.arange(n_ang, dtype=np.float64) * (2 * math.pi / n_ang)
    r_exp = _ellipse_radius(theta, a, b, math.radians(ang)) / step
    # Work on the columns of the border band only (a third of the polar image, in float32).
    c0 = max(0, math.floor(0.80 * float(r_exp.min())))
    c1 = min(n_rad, math.ceil(1.10 * float(r_exp.max())) + 2)
    sub = polar[:, c0:c1].astype(np.float32)
    idx = np.arange(c0, c1, dtype=np.float32)[None, :]
    band = (idx >= 0.80 * r_exp[:, None]) & (idx <= 1.10 * r_exp[:, None])
    vals = np.where(band, sub, np.float32(0.0))
    peak = vals.max(axis=1)
    strong = peak[peak > ink_low]
    if strong.size < n_ang * 0.2:
        return None
    level = float(np.median(strong))
    inked = peak > max(ink_low, 0.4 * level)
    completeness = float(inked.mean())
    gap = _longest_run(~inked) * 360.0 / n_ang

    # Outer edge: the last sample in the band at or above half this angle's peak.
    half = 0.5 * peak[:, None]
    cond = band & (sub >= half)
    rows = np.flatnonzero(inked & cond.any(axis=1))
    if rows.size < 24:
        return None
    width = c1 - c0
    last_local = width - 1 - np.argmax(cond[rows, ::-1], axis=1)
    last = np.minimum(last_local + c0, n_rad - 2)
    pol_rows = polar[rows].astype(np.float32)
    ar = np.arange(rows.size)
    v0 = pol_rows[ar, last]
    v1 = pol_rows[ar, last + 1]
    hv = half[rows, 0]
    frac = np.clip((v0 - hv) / np.maximum(v0 - v1, 1e-3), 0.0, 1.0)
    r_edge = (last + frac + 0.5) * step
    # Edge width: ink level over the steepest fall near the edge (a blurred edge falls slowly).
    lo = np.maximum(last - 2, 0)
    falls = np.stack(
        [
            pol_rows[ar, np.minimum(lo + k, n_rad - 2)]
            - pol_rows[ar, np.minimum(lo + k + 1, n_rad - 1)]
            for k in range(5)
        ],
        axis=1,
    ).max(axis=1)
    edge_px = float(np.median(peak[rows] / np.maximum(falls, 1e-3))) * step
    th = theta[rows]
    pts = np.stack([cx + r_edge * np.cos(th), cy + r_edge * np.sin(th)], axis=1).astype(np.float32)
    fitted = cv2.fitEllipse(pts)
    # How far the border points lie off the fitted ellipse (relative): a seal's border is an
    # ellipse, a scribble's outline is not.
    (fx, fy), (fw, fh), fa = fitted
    ca, sa = math.cos(math.radians(fa)), math.sin(math.radians(fa))
    dx, dy = pts[:, 0] - fx, pts[:, 1] - fy
    u, v = dx * ca + dy * sa, -dx * sa + dy * ca
    rho = np.sqrt((u / max(fw / 2, 1e-6)) ** 2 + (v / max(fh / 2, 1e-6)) ** 2)
    residual = float(np.median(np.abs(rho - 1.0)))

    # Border thickness: samples at or above half the peak within 2 mm inside the outer edge
    # (median over angles; the text starts further in).
    within = (idx[0][None, :] <= last[:, None]) & (
        idx[0][None, :] >= last[:, None] - ring_window / step
    )
    ring_px = float(np.median((cond[rows] & within).sum(axis=1))) * step

    # Ink inside the border (text, star): on the polar image, uint8 compare, whole columns.
    i1 = min(n_rad, math.ceil(0.86 * float(r_exp.min())))
    i0 = min(i1, math.ceil(0.15 * float(r_exp.max())))
    inner = polar[:, i0:i1]
    interior = float((inner > 0.5 * level).mean()) if inner.size else 0.0
    return _Ring(
        ellipse=((fitted[0][0], fitted[0][1]), (fitted[1][0], fitted[1][1]), fitted[2]),
        completeness=completeness,
        max_gap_deg=gap,
        ink_level=level,
        edge_px=edge_px,
        interior=interior,
        polar=polar,
        max_radius=max_radius,
        r_expected=r_exp,
        n_edge=int(rows.size),
        residual=residual,
        ring_px=ring_px,
    )


def _star_and_rotation(
    red: np.ndarray, ring: _Ring, t: Thresholds, px_per_mm: float
) -> tuple[bool, float | None]:
    """Find the central five-pointed star; return (found, rotation in degrees clockwise)."""
    (cx, cy), (w, h), _ = ring.ellipse
    r = (w + h) / 4.0
    x0, y0 = int(max(cx - 0.45 * r, 0)), int(max(cy - 0.45 * r, 0))
    x1, y1 = int(min(cx + 0.45 * r, red.shape[1])), int(min(cy + 0.45 * r, red.shape[0]))
    star_rot: float | None = None
    found = False
    if x1 - x0 > 8 and y1 - y0 > 8:
        crop = red[y0:y1, x0:x1]
        binary = (crop > 0.4 * ring.ink_level).astype(np.uint8)
        # Join the star across form lines printed through it and ink dropouts.
        k = max(3, round(0.8 * px_per_mm) | 1)
        joined = cv2.morphologyEx(
            binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        )
        n, labels, stats, cents = cv2.connectedComponentsWithStats(joined, connectivity=8)
        # A star broken by a dropout is several pieces near the centre: take them together
        # (the bottom text of a 专用章 sits further out).
        parts = [
            i
            for i in range(1, n)
            if math.hypot(cents[i][0] + x0 - cx, cents[i][1] + y0 - cy) < 0.25 * r
            and stats[i, cv2.CC_STAT_AREA] > (0.02 * r) ** 2
        ]
        area = int(sum(stats[i, cv2.CC_STAT_AREA] for i in parts))
        if parts and area > (0.05 * r) ** 2:
            comp = np.isin(labels, parts).astype(np.uint8) * 255
            m = cv2.moments(comp, binaryImage=True)
            scx, scy = m["m10"] / m["m00"], m["m01"] / m["m00"]
            ext = 0.5 * r
            sig_polar = cv2.warpPolar(
                comp,
                (64, 180),
                (float(scx), float(scy)),
                ext,
                cv2.WARP_POLAR_LINEAR | cv2.WARP_FILL_OUTLIERS,
            )
            on = sig_polar > 127
            prof = np.where(on.any(axis=1), 63 - np.argmax(on[:, ::-1], axis=1), 0).astype(
                np.float64
            )
            mean = prof.mean()
            if mean > 0:
                th = np.arange(180) * (2 * math.pi / 180)
                z = (prof * np.exp(-5j * th)).sum() / len(prof)
                h5 = 2 * abs(z) / mean
                radius = prof.max() * ext / 64
                if h5 >= t.star_min_harmonic and 0.12 * r <= radius <= 0.5 * r:
                    found = True
                    # Peaks at phi/5 + 72k degrees; upright has one at -90 (image y points down).
                    peak_deg = -math.degrees(np.angle(z)) / 5.0
                    star_rot = ((peak_deg + 90.0 + 36.0) % 72.0) - 36.0

    # The arc text runs over the top; its largest gap is at the bottom.
    polar, r_exp = ring.polar, ring.r_expected
    c0 = math.floor(0.74 * float(r_exp.min()))
    c1 = min(polar.shape[1], math.ceil(0.86 * float(r_exp.max())) + 1)
    idx = np.arange(c0, c1)[None, :]
    band = (idx >= 0.74 * r_exp[:, None]) & (idx <= 0.86 * r_exp[:, None])
    inked = ((polar[:, c0:c1] > 0.5 * ring.ink_level) & band).any(axis=1)
    inked_col = np.asarray(inked, dtype=np.uint8)[:, None]
    text = cv2.dilate(inked_col, np.ones((7, 1), np.uint8)).ravel() > 0
    text_rot: float | None = None
    if text.any() and not text.all():
        start = int(np.argmax(text))  # a text angle: the gap runs between text angles
        f = np.roll(~text, -start)
        d = np.diff(np.concatenate(([0], f.astype(np.int8), [0])))
        s, e = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        k = int(np.argmax(e - s))
        length = (e[k] - s[k]) * 360.0 / len(text)
        if length >= 35.0:
            centre = ((s[k] + e[k] - 1) / 2.0 + start) * 360.0 / len(text)
            text_rot = ((centre - 90.0 + 180.0) % 360.0) - 180.0
    if star_rot is not None and text_rot is not None:
        k = round((text_rot - star_rot) / 72.0)
        rot = star_rot + 72.0 * k
        return found, ((rot + 180.0) % 360.0) - 180.0
    if star_rot is not None:
        return found, star_rot
    return found, text_rot


def _moved(
    before: cv2.typing.RotatedRect,
    after: cv2.typing.RotatedRect,
) -> bool:
    """Whether two ellipses differ by more than 2% of the radius in centre or size."""
    (x0, y0), (w0, h0), _ = before
    (x1, y1), (w1, h1), _ = after
    r = max(w1 + h1, 1e-6) / 4.0
    return bool(
        math.hypot(x1 - x0, y1 - y0) > 0.02 * r or abs((w0 + h0) - (w1 + h1)) / 4.0 > 0.02 * r
    )


def _classify(contour: np.ndarray, ratio: float, t: Thresholds) -> str:
    hull = cv2.convexHull(contour)
    hull_area = cv2.contourArea(hull)
    (_, _), (rw, rh), _ = cv2.minAreaRect(hull)
    fill = hull_area / max(rw * rh, 1e-6)
    if fill >= t.rect_min_fill:
        return "rectangle"
    return "oval" if ratio >= t.oval_min_ratio else "round"


def _rect_measure(
    red: np.ndarray, contour_full: np.ndarray, ink_low: int
) -> tuple[tuple[float, float], float, float, float, float]:
    """Rectangle seal: (w, h) px with w the longer side, angle, completeness, gap (deg), level."""
    rect = cv2.minAreaRect(contour_full)
    (cx, cy), (rw, rh), ang = rect
    box = cv2.boxPoints(((cx, cy), (rw * 0.97, rh * 0.97), ang))
    n = 360
    per = np.concatenate(
        [np.linspace(box[i], box[(i + 1) % 4], n // 4, endpoint=False) for i in range(4)]
    )
    xs = np.clip(per[:, 0].round().astype(int), 0, red.shape[1] - 1)
    ys = np.clip(per[:, 1].round().astype(int), 0, red.shape[0] - 1)
    dil = cv2.dilate(red, np.ones((5, 5), np.uint8))
    vals = dil[ys, xs].astype(np.float32)
    strong = vals[vals > ink_low]
    level = float(np.median(strong)) if strong.size else 0.0
    inked = vals > max(ink_low, 0.4 * level)
    gap = _longest_run(~inked) * 360.0 / n
    w, h = (rw, rh) if rw >= rh else (rh, rw)
    return (w, h), ang, float(inked.mean()), gap, level


def analyse(
    frame: np.ndarray,
    px_per_mm: float,
    rule: SealRule | None = None,
    thresholds: Thresholds | None = None,
    *,
    scale_source: str = "fixed",
) -> SealAnalysis:
    """Find and measure the seal imprint in a BGR frame and give the verdict.

    Args:
        frame: (H, W, 3) uint8 BGR image, already perspective-corrected when markers are used.
        px_per_mm: the frame's scale.
        rule: the unit type / seal type row to judge size, shape and star against; without it
            only the imprint's quality is judged.
        thresholds: limits and margins; the defaults when None.
        scale_source: ``fixed`` (kiosk.toml) or ``markers`` (the capture mat), for the report.

    Returns:
        The measurements and the verdict (``pass``/``fail`` with reasons from ``REASONS``).

    Raises:
        SealError: ``seal.bad_frame`` (not a colour image), ``seal.bad_scale``, ``seal.too_dark``
            (a black frame: camera covered or off).
    """
    t0 = time.perf_counter()
    t = thresholds or Thresholds()
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3:
        raise SealError("the frame is not a colour image", code="seal.bad_frame")
    if frame.dtype != np.uint8 or min(frame.shape[:2]) < 32:
        raise SealError("the frame is too small or not 8-bit", code="seal.bad_frame")
    if not (0.5 <= px_per_mm <= 200):
        raise SealError(
            f"scale {px_per_mm} px/mm is out of range (0.5–200): calibrate the camera",
            code="seal.bad_scale",
        )
    res = SealAnalysis(px_per_mm=px_per_mm, scale_source=scale_source)
    if rule is not None:
        res.rule = rule.key

    # Shrink by a whole factor: INTER_AREA has a fast path for those (a fractional factor
    # costs about 9 ms per 1280×720 frame, a whole one under 1 ms).
    n = max(1, int(px_per_mm / _WORK_PX_PER_MM + 0.25))
    s = 1.0 / n
    small = cv2.resize(frame, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if n > 1 else frame
    gray_mean, gray_std = cv2.meanStdDev(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    if gray_mean[0][0] < 20:
        raise SealError(
            "the picture is black: is the camera covered or the light off?", code="seal.too_dark"
        )
    if gray_std[0][0] < 2.0:
        res.notes.append("blank_frame")
    gains = paper_gains(small)
    red_small = cv2.blur(
        redness(small, gains), (3, 3)
    )  # averages out colour noise, keeps faint ink
    # OpenCV compares with a scalar too; its stubs only list arrays for src2.
    mask = cv2.compare(red_small, t.ink_low, cv2.CMP_GT)  # type: ignore[call-overload]
    k = max(3, round(1.5 * px_per_mm * s) | 1)
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    min_px = t.min_diameter_mm * px_per_mm * s
    max_px = t.max_diameter_mm * px_per_mm * s
    cands = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        if min_px <= max(w, h) <= max_px and len(c) >= 5:
            cands.append((w * h, c))
    cands.sort(key=lambda p: -p[0])
    res.red_objects = len(cands)

    seals: list[tuple[np.ndarray, _Ring | None, np.ndarray, tuple[int, int]]] = []
    placed: list[tuple[float, float, float]] = []
    for _, c in cands[:_MAX_CANDIDATES]:
        x, y, w, h = cv2.boundingRect(c)
        pad = int(0.25 * max(w, h)) + 4
        x0 = max(int((x - pad) / s), 0)
        y0 = max(int((y - pad) / s), 0)
        x1 = min(int((x + w + pad) / s) + 1, frame.shape[1])
        y1 = min(int((y + h + pad) / s) + 1, frame.shape[0])
        red = redness(frame[y0:y1, x0:x1], gains)
        full = (c.astype(np.float32) / s - np.array([x0, y0], np.float32)).astype(np.float32)
        hull = cv2.convexHull(full)
        if len(hull) < 5:
            continue
        e0 = cv2.fitEllipse(hull)
        window = 2.0 * px_per_mm
        ring = _measure_ring(red, e0, t.ink_low, window)
        if ring is not None and _moved(e0, ring.ellipse):
            # The first ellipse (from the shrunk copy) was off: measure again around the
            # fitted one, so the border band sits where the border is.
            ring = _measure_ring(red, ring.ellipse, t.ink_low, window) or ring
        is_seal = (
            ring is not None
            and ring.completeness >= t.seal_min_border
            and t.seal_min_interior <= ring.interior <= t.seal_max_interior
            and ring.residual <= t.max_fit_residual
            and ring.ring_px >= t.seal_min_ring_mm * px_per_mm
        )
        if not is_seal:
            # A rectangle's border is not where an ellipse fit looks; test it as a rectangle.
            ratio = max(e0[1]) / max(min(e0[1]), 1e-6)
            if _classify(full, ratio, t) == "rectangle":
                _, _, comp, _, lvl = _rect_measure(red, full, t.ink_low)
                (rcx, rcy), (rw, rh), rang = cv2.minAreaRect(full)
                core = np.zeros(red.shape, np.uint8)
                box = cv2.boxPoints(((rcx, rcy), (rw * 0.7, rh * 0.7), rang)).astype(np.int32)
                cv2.fillConvexPoly(core, box, 1)
                solid = (
                    float((red[core > 0] > 0.5 * max(lvl, t.ink_low)).mean()) if core.any() else 1.0
                )
                is_seal = comp >= t.seal_min_border and lvl > 0 and solid <= t.seal_max_interior
        if is_seal:
            # A broken-up imprint (faint, spotty) can yield several candidates: one seal.
            (ccx, ccy), (cw, ch), _ = ring.ellipse if ring is not None else cv2.minAreaRect(full)
            ccx, ccy = ccx + x0, ccy + y0
            if any(math.hypot(ccx - px, ccy - py) < pr for px, py, pr in placed):
                continue
            placed.append((ccx, ccy, max(cw, ch) / 2.0))
            seals.append((red, ring, full, (x0, y0)))

    res.count = len(seals)
    if not seals:
        res.reasons = ["no_seal"]
        if cands:
            res.notes.append("red_marks_not_a_seal")
        res.elapsed_ms = round((time.perf_counter() - t0) * 1000, 2)
        return res

    red, ring, full, (ox, oy) = seals[0]
    reasons: list[str] = []
    border: list[str] = []
    if len(seals) > 1:
        reasons.append("multiple")

    ratio = 1.0
    if ring is not None:
        (ecx, ecy), (ew, eh), eang = ring.ellipse
        ratio = max(ew, eh) / max(min(ew, eh), 1e-6)
    shape = _classify(full, ratio, t)
    res.shape = shape
    if shape == "rectangle" or ring is None:
        (rw, rh), ang, comp, gap, level = _rect_measure(red, full, t.ink_low)
        res.size_mm = (round(rw / px_per_mm, 2), round(rh / px_per_mm, 2))
        res.completeness, res.max_gap_deg = round(comp, 3), round(gap, 1)
        res.ink = round(level / 255.0, 3)
        res.ink_level = level
        res.deformation = None
        (rcx, rcy), _, _ = cv2.minAreaRect(full)
        res.centre_px = (rcx + ox, rcy + oy)
        res.ellipse_px = (rw, rh, ang)
        res.rotation_deg = round(((ang + 45.0) % 90.0) - 45.0, 1)
        edge_mm = None
    else:
        major, minor = max(ew, eh) / px_per_mm, min(ew, eh) / px_per_mm
        res.deformation = round(ratio, 4)
        if shape == "round":
            res.diameter_mm = round((major + minor) / 2.0, 2)
        res.axes_mm = (round(major, 2), round(minor, 2))
        res.size_mm = (round(ew / px_per_mm, 2), round(eh / px_per_mm, 2))
        res.completeness = round(ring.completeness, 3)
        res.max_gap_deg = round(ring.max_gap_deg, 1)
        res.ink = round(ring.ink_level / 255.0, 3)
        res.ink_level = ring.ink_level
        res.centre_px = (ecx + ox, ecy + oy)
        res.ellipse_px = (ew, eh, eang)
        edge_mm = ring.edge_px / px_per_mm
        res.edge_width_mm = round(edge_mm, 3)
        res.sharpness = round(min(1.0, 0.2 / max(edge_mm, 1e-6)), 3)
        if shape == "round":
            star, rot = _star_and_rotation(red, ring, t, px_per_mm)
            res.star = star
            res.rotation_deg = None if rot is None else round(rot, 1)
            if ratio > t.max_deformation:
                reasons.append("deformed")
            elif ratio > t.max_deformation - t.deformation_margin:
                border.append("deformation")

    if edge_mm is not None:
        if edge_mm > t.max_edge_mm:
            reasons.append("blurred")
        elif edge_mm > t.max_edge_mm - t.edge_margin_mm:
            border.append("sharpness")
    comp, gap = res.completeness or 0.0, res.max_gap_deg or 0.0
    if comp < t.min_completeness or gap > t.max_gap_deg:
        reasons.append("incomplete")
    elif (
        comp < t.min_completeness + t.completeness_margin or gap > t.max_gap_deg - t.gap_margin_deg
    ):
        border.append("completeness")
    ink = res.ink or 0.0
    if ink < t.min_ink:
        reasons.append("faint")
    elif ink < t.min_ink + t.ink_margin:
        border.append("ink")

    if rule is not None:
        _judge_rule(res, rule, shape, reasons, border)

    res.reasons = [r for r in REASONS if r in reasons]
    res.borderline_metrics = border
    res.borderline = bool(border)
    res.verdict = "fail" if res.reasons else "pass"
    res.elapsed_ms = round((time.perf_counter() - t0) * 1000, 2)
    return res


def _judge_rule(
    res: SealAnalysis, rule: SealRule, shape: str, reasons: list[str], border: list[str]
) -> None:
    if shape not in rule.shapes:
        reasons.append("shape")
        return
    if shape == "round" and rule.centre == "star" and res.star is False:
        reasons.append("shape")
        res.notes.append("no_central_star")
    tol = rule.tolerance_mm

    def check(value: float, lo: float, hi: float) -> None:
        if value > hi + tol or value < lo - tol:
            reasons.append("size")
        elif value > hi + tol / 2 or value < lo - tol / 2:
            border.append("size")

    if shape == "round" and rule.diameter_mm and res.diameter_mm is not None:
        check(res.diameter_mm, *rule.diameter_mm)
    elif shape == "oval" and rule.axes_mm and res.axes_mm is not None:
        check(res.axes_mm[0], *rule.axes_mm[0])
        check(res.axes_mm[1], *rule.axes_mm[1])
    elif shape == "rectangle" and rule.rect_mm and res.size_mm is not None:
        check(res.size_mm[0], *rule.rect_mm[0])
        check(res.size_mm[1], *rule.rect_mm[1])
