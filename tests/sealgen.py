"""Labelled seal-imprint generator for the accuracy tests, the bench and the sample images.

Draws a 电子印章申请表 page (black print, table lines, a blue-pen signature) at a known scale and
stamps seals on it: a border ring, the unit name as arc text in a CJK font from Debian's
fonts-noto-cjk / fonts-wqy-zenhei, the central five-pointed star, optional bottom text. Then the
imperfections of a real imprint and photo: ink dropouts, uneven pressure, rotation, and per case
blur, a missing sector, stretch, perspective (on the ArUco capture mat), two seals, black ink,
faint ink, red pen scribbles, sensor noise and JPEG.

Each :class:`Sample` carries its label: the expected verdict, the reason a failing one must give,
and the true diameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hardware.seal.mat import MatSpec, render_mat

FONT_FILES = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
]
NAMES = [
    "东莞市网证通科技有限公司",
    "广东省电子商务认证有限公司",
    "东莞市莞城区通联贸易有限公司",
    "东莞市南城实业发展有限公司",
    "东莞市虎门镇恒信五金制品厂",
    "东莞理工学院后勤服务中心",
    "东莞市慈善会",
]
FORM_LABELS = [
    "单位名称",
    "法定代表人",
    "单位性质",
    "印章类型",
    "统一社会信用代码",
    "印章管理员",
    "联系电话",
]


def fonts() -> list[tuple[str, int]]:
    """The CJK fonts installed (at least one must be)."""
    found = [(p, i) for p, i in FONT_FILES if Path(p).exists()]
    if not found:
        raise RuntimeError("no CJK font: apt-get install fonts-wqy-zenhei fonts-noto-cjk")
    return found


@lru_cache(maxsize=64)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


@lru_cache(maxsize=4096)
def _glyph(ch: str, path: str, index: int, size: int) -> Image.Image:
    f = _font(path, index, size)
    img = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(img).text((size, size), ch, fill=255, font=f, anchor="mm")
    return img


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, rot_deg: float = 0.0) -> None:
    pts = []
    for k in range(10):
        rr = r if k % 2 == 0 else r * 0.382
        a = math.radians(-90 + rot_deg + 36 * k)
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    draw.polygon(pts, fill=255)


def seal_alpha(
    d_px: float,
    *,
    shape: str = "round",
    aspect: float = 1.0,
    name: str = NAMES[0],
    bottom: str | None = None,
    star: bool = True,
    font: tuple[str, int] | None = None,
) -> np.ndarray:
    """Ink coverage (0–1, float32) of an upright seal, outer width ``d_px`` pixels.

    ``shape`` round (star in the centre), oval (width d, height d/aspect) or rectangle.
    """
    font = font or fonts()[0]
    ss = 2  # supersampling for anti-aliased edges
    W = d_px * ss
    H = W / aspect
    side_w, side_h = int(W + 8 * ss), int(H + 8 * ss)
    img = Image.new("L", (side_w, side_h), 0)
    dr = ImageDraw.Draw(img)
    cx, cy = side_w / 2, side_h / 2
    ring = 0.03 * W
    if shape == "rectangle":
        dr.rectangle([cx - W / 2, cy - H / 2, cx + W / 2, cy + H / 2], fill=255)
        dr.rectangle(
            [cx - W / 2 + ring, cy - H / 2 + ring, cx + W / 2 - ring, cy + H / 2 - ring], fill=0
        )
        f = _font(font[0], font[1], int(H * 0.22))
        dr.text((cx, cy - H * 0.18), name[:8], fill=255, font=f, anchor="mm")
        dr.text((cx, cy + H * 0.2), bottom or "财务专用章", fill=255, font=f, anchor="mm")
    else:
        dr.ellipse([cx - W / 2, cy - H / 2, cx + W / 2, cy + H / 2], fill=255)
        dr.ellipse(
            [cx - W / 2 + ring, cy - H / 2 + ring, cx + W / 2 - ring, cy + H / 2 - ring], fill=0
        )
        R = W / 2
        size = int(0.2 * R)
        n = len(name)
        span = min(250.0, 18.0 * n + 20)
        for i, ch in enumerate(name):
            a = -90 - span / 2 + span * (i + 0.5) / n  # degrees, image coords
            ar = math.radians(a)
            rx, ry = 0.74 * (W / 2), 0.74 * (H / 2)
            gx, gy = cx + rx * math.cos(ar), cy + ry * math.sin(ar)
            g = _glyph(ch, font[0], font[1], size).rotate(-(a + 90), resample=Image.BILINEAR)
            img.paste(255, (int(gx - g.width / 2), int(gy - g.height / 2)), g)
        if shape == "round" and star:
            _star(dr, cx, cy, 0.3 * R)
        if bottom:
            f = _font(font[0], font[1], int(0.15 * R))
            yb = cy + (0.5 if shape == "round" else 0.3) * (H / 2)
            dr.text((cx, yb), bottom, fill=255, font=f, anchor="mm")
    arr = np.asarray(img, np.float32) / 255.0
    out = cv2.resize(arr, (side_w // ss, side_h // ss), interpolation=cv2.INTER_AREA)
    return out


def _dropouts(alpha: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Ink holes (paper fibres, uneven ink) and a pressure gradient across the seal."""
    h, w = alpha.shape
    cell = max(h // 28, 2)
    noise = rng.random((h // cell + 2, w // cell + 2)).astype(np.float32)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    holes = np.clip((noise - amount) / 0.08, 0.0, 1.0)
    fine = rng.random((h, w)).astype(np.float32)
    fine = cv2.GaussianBlur(fine, (0, 0), 0.8)
    holes *= np.clip((fine - amount * 0.25) * 6, 0.0, 1.0) * 0.3 + 0.7
    g = rng.uniform(-0.15, 0.15)
    ramp = 1.0 + g * np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    return alpha * holes * ramp


def _transform(alpha: np.ndarray, angle: float, sx: float = 1.0) -> np.ndarray:
    """Stretch horizontally by sx, then rotate by angle degrees (clockwise as seen)."""
    h, w = alpha.shape
    side = int(max(h, w) * max(sx, 1.0) * 1.1) + 4
    m1 = np.array([[sx, 0, side / 2 - sx * w / 2], [0, 1, side / 2 - h / 2]], np.float64)
    r = cv2.getRotationMatrix2D((side / 2, side / 2), -angle, 1.0)
    m = r @ np.vstack([m1, [0, 0, 1]])
    return cv2.warpAffine(alpha, m, (side, side), flags=cv2.INTER_LINEAR)


def form_page(w: int, h: int, ppm: float, rng: np.random.Generator) -> np.ndarray:
    """A photographed form: paper, uneven light, black print, table lines, a blue signature."""
    paper = rng.uniform(222, 248)
    tint = np.array(
        [rng.uniform(-6, 14), rng.uniform(-3, 4), rng.uniform(-8, 6)], np.float32
    )  # warm/cool light
    img = Image.new("RGB", (w, h), (255, 255, 255))
    dr = ImageDraw.Draw(img)
    font = fonts()[rng.integers(len(fonts()))]
    f = _font(font[0], font[1], max(int(4.0 * ppm), 8))
    f_small = _font(font[0], font[1], max(int(3.0 * ppm), 8))
    dr.text((w * 0.5, 7 * ppm), "电子印章申请表", fill=(20, 20, 20), font=f, anchor="mm")
    line_w = max(1, int(0.3 * ppm))
    y = 14 * ppm
    row = 11 * ppm
    i = 0
    while y < h - 2 * ppm:
        dr.line([(4 * ppm, y), (w - 4 * ppm, y)], fill=(30, 30, 30), width=line_w)
        dr.text(
            (6 * ppm, y + row / 2),
            FORM_LABELS[i % len(FORM_LABELS)],
            fill=(25, 25, 25),
            font=f_small,
            anchor="lm",
        )
        i += 1
        y += row
    x_split = 40 * ppm
    dr.line([(x_split, 14 * ppm), (x_split, h)], fill=(30, 30, 30), width=line_w)
    # a blue-pen signature
    pts = [(w * rng.uniform(0.55, 0.8), h * rng.uniform(0.82, 0.92))]
    for _ in range(12):
        x, yy = pts[-1]
        pts.append((x + rng.uniform(0.5, 3) * ppm, yy + rng.uniform(-3, 3) * ppm))
    dr.line(pts, fill=(40, 50, 160), width=max(1, int(0.4 * ppm)), joint="curve")
    # Coloured light multiplies what the paper and print reflect.
    gain = (np.float32(paper / 255.0) * (1.0 + tint[::-1] / np.float32(240.0))).astype(np.float32)
    arr = np.asarray(img, np.float32)[:, :, ::-1] * gain
    gx = np.linspace(rng.uniform(0.82, 1.0), rng.uniform(0.9, 1.04), w, dtype=np.float32)
    gy = np.linspace(rng.uniform(0.9, 1.0), rng.uniform(0.9, 1.03), h, dtype=np.float32)
    light = (gy[:, None] * gx[None, :])[:, :, None]
    return np.ascontiguousarray(np.clip(arr * light, 0, 255))  # BGR float32


def _stamp(page: np.ndarray, alpha: np.ndarray, cx: float, cy: float, ink_bgr: np.ndarray) -> None:
    """Multiply the ink onto the page (in place), alpha centred at (cx, cy)."""
    h, w = alpha.shape
    x0, y0 = round(cx - w / 2), round(cy - h / 2)
    px0, py0 = max(x0, 0), max(y0, 0)
    px1, py1 = min(x0 + w, page.shape[1]), min(y0 + h, page.shape[0])
    if px1 <= px0 or py1 <= py0:
        return
    a = np.clip(alpha[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0], 0, 1)[:, :, None]
    trans = (ink_bgr / np.float32(255.0))[None, None, :].astype(np.float32)
    page[py0:py1, px0:px1] *= 1.0 - a + a * trans


def _scribble(
    page: np.ndarray,
    rng: np.random.Generator,
    ppm: float,
    region: tuple[float, float, float, float],
) -> None:
    """A red ballpoint scribble (a wavy line and a tick) inside region (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = region
    h, w = page.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    pts = []
    x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
    heading = rng.uniform(0, 2 * math.pi)
    for _ in range(40):
        heading += rng.uniform(-0.7, 0.7)
        x = float(np.clip(x + 1.6 * ppm * math.cos(heading), x0, x1))
        y = float(np.clip(y + 1.6 * ppm * math.sin(heading), y0, y1))
        pts.append((x, y))
    cv2.polylines(mask, [np.array(pts, np.int32)], False, 255, max(1, int(0.45 * ppm)), cv2.LINE_AA)
    a = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 0.6) * rng.uniform(0.7, 0.95)
    ink = np.array([60, 40, 200], np.float32)  # a red pen, BGR
    a3 = a[:, :, None]
    page *= 1.0 - a3 + a3 * ink[None, None, :] / 255.0


@lru_cache(maxsize=1)
def _noise_field() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((820, 1400, 3), dtype=np.float32)


def _noise(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Sensor noise: a window at a random place in one cached field (drawing 2.7 M normals per
    frame would be a third of the generator's time)."""
    field_ = _noise_field()
    h, w = shape[:2]
    if h > field_.shape[0] or w > field_.shape[1]:
        return rng.standard_normal(shape, dtype=np.float32)
    y = int(rng.integers(0, field_.shape[0] - h + 1))
    x = int(rng.integers(0, field_.shape[1] - w + 1))
    return field_[y : y + h, x : x + w]


@dataclass
class Sample:
    """One labelled frame."""

    case: str
    image: np.ndarray  # BGR uint8
    verdict: str  # expected: pass / fail
    reason: str | None  # the reason a failing frame must report
    diameter_mm: float | None  # the true outer diameter of the (first) seal
    px_per_mm: float | None  # the fixed scale; None when the mat's markers give it
    rotation_deg: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


# Scale of the fixed-scale frames: a 1280-px-wide camera framing 140–180 mm of the form.
PPM_RANGE = (7.0, 9.0)

# case name: (verdict, reason)
CASES: dict[str, tuple[str, str | None]] = {
    "good": ("pass", None),
    "rotated": ("pass", None),
    "contract_text": ("pass", None),
    "scribble_beside": ("pass", None),
    "perspective": ("pass", None),
    "blurred": ("fail", "blurred"),
    "missing_sector": ("fail", "incomplete"),
    "stretched": ("fail", "deformed"),
    "faint": ("fail", "faint"),
    "oversize": ("fail", "size"),
    "oval": ("fail", "shape"),
    "rectangle": ("fail", "shape"),
    "no_star": ("fail", "shape"),
    "two_seals": ("fail", "multiple"),
    "black_ink": ("fail", "no_seal"),
    "scribble_only": ("fail", "no_seal"),
    "blank_form": ("fail", "no_seal"),
}


def make_sample(case: str, seed: int, *, width: int = 1280, height: int = 720) -> Sample:
    """Generate one labelled frame of the named case (see ``CASES``)."""
    verdict, reason = CASES[case]
    rng = np.random.default_rng(seed)
    font = fonts()[rng.integers(len(fonts()))]
    name = NAMES[rng.integers(len(NAMES))]
    perspective = case == "perspective"
    if perspective:
        ppm = 8.0
        spec = MatSpec()
        w, h = round(spec.width_mm * ppm), round(spec.height_mm * ppm)
    else:
        ppm = float(rng.uniform(*PPM_RANGE))
        w, h = width, height
    page = form_page(w, h, ppm, rng)
    if perspective:
        mat = render_mat(spec, ppm).astype(np.float32)
        inner = round((spec.margin_mm + spec.marker_mm + 1) * ppm)
        mat[inner:-inner, inner:-inner] = page[inner:-inner, inner:-inner]
        page = mat

    d_mm = float(rng.uniform(36.0, 43.5))
    if case == "oversize":
        d_mm = float(rng.uniform(47.5, 52.0))
    rot = float(rng.uniform(-12, 12))
    if case == "rotated":
        rot = float(rng.uniform(-40, 40))
    ink = np.array([rng.uniform(30, 70), rng.uniform(20, 55), rng.uniform(205, 240)], np.float32)
    strength = float(rng.uniform(0.62, 1.0))
    if case == "faint":
        strength = float(rng.uniform(0.14, 0.24))
    if case == "black_ink":
        ink = np.array([45, 42, 40], np.float32)
    shape, aspect, star, bottom = "round", 1.0, True, None
    if case == "contract_text":
        bottom = "合同专用章"
    if case == "oval":
        shape, aspect, star, bottom, d_mm = (
            "oval",
            float(rng.uniform(1.4, 1.6)),
            False,
            "发票专用章",
            float(rng.uniform(40, 45)),
        )
    if case == "rectangle":
        shape, aspect, star, d_mm = (
            "rectangle",
            float(rng.uniform(1.5, 2.2)),
            False,
            float(rng.uniform(38, 50)),
        )
    if case == "no_star":
        star = False
    sx = float(rng.uniform(1.12, 1.25)) if case == "stretched" else 1.0

    seals_xy = []
    if case != "blank_form" and case != "scribble_only":
        alpha = seal_alpha(
            d_mm * ppm, shape=shape, aspect=aspect, name=name, bottom=bottom, star=star, font=font
        )
        alpha = _dropouts(alpha, rng, float(rng.uniform(0.03, 0.12)))
        if case == "missing_sector":
            hh, ww = alpha.shape
            yy, xx = np.mgrid[0:hh, 0:ww]
            ang = np.degrees(np.arctan2(yy - hh / 2, xx - ww / 2))
            start = rng.uniform(-180, 180)
            width_deg = rng.uniform(40, 100)
            rel = (ang - start) % 360
            fade = np.clip((rel - width_deg) / 6.0, 0, 1) * np.clip((360 - rel) / 6.0, 0, 1)
            alpha = alpha * fade.astype(np.float32)
        alpha = np.clip(_transform(alpha, rot, sx) * strength, 0, 1)
        half = alpha.shape[0] / 2
        if case == "two_seals":
            ys = h / 2 + rng.uniform(-0.05, 0.05) * h
            seals_xy = [(w * 0.27, ys), (w * 0.73, ys)]
        else:
            mx = half + 2 * ppm + (16 * ppm if perspective else 0)
            my = half + 2 * ppm + (16 * ppm if perspective else 0)
            seals_xy = [
                (rng.uniform(mx, max(mx + 1, w - mx)), rng.uniform(my, max(my + 1, h - my)))
            ]
        for x, y in seals_xy:
            _stamp(page, alpha, x, y, ink)

    if case in ("scribble_beside", "scribble_only"):
        if seals_xy:
            sx0, _ = seals_xy[0]
            r = d_mm * ppm * 0.6
            region = (
                (4 * ppm, 10 * ppm, max(sx0 - r, 5 * ppm + 20), h - 10 * ppm)
                if sx0 > w / 2
                else (sx0 + r, 10 * ppm, w - 4 * ppm, h - 10 * ppm)
            )
        else:
            region = (w * 0.15, h * 0.15, w * 0.85, h * 0.85)
        for _ in range(1 if case == "scribble_beside" else 2):
            _scribble(page, rng, ppm, region)

    if perspective:
        # Warp the mat into a 1280×720 photo taken from a little off-axis.
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        scale = min(width / w, height / h) * rng.uniform(0.88, 0.96)
        cw, ch = w * scale, h * scale
        ox, oy = (width - cw) / 2, (height - ch) / 2
        jitter = lambda: rng.uniform(-0.05, 0.05) * cw  # noqa: E731
        dst = np.array(
            [
                [ox + jitter(), oy + jitter() * 0.5],
                [ox + cw + jitter(), oy + jitter() * 0.5],
                [ox + cw + jitter(), oy + ch + jitter() * 0.5],
                [ox + jitter(), oy + ch + jitter() * 0.5],
            ],
            np.float32,
        )
        m = cv2.getPerspectiveTransform(src, dst)
        page = cv2.warpPerspective(
            page, m, (width, height), flags=cv2.INTER_AREA, borderValue=(90, 100, 110)
        )

    sigma = float(rng.uniform(0.0, 1.0))
    if case == "blurred":
        sigma = float(rng.uniform(3.5, 6.0)) * ppm / 8.0
    if sigma > 0.3:
        page = cv2.GaussianBlur(page, (0, 0), sigma)
    page += _noise(page.shape, rng) * np.float32(rng.uniform(1.0, 3.0))
    img = np.clip(page, 0, 255).astype(np.uint8)
    _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(80, 96))])
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return Sample(
        case=case,
        image=img,
        verdict=verdict,
        reason=reason,
        diameter_mm=d_mm
        if shape == "round" and case not in ("blank_form", "scribble_only")
        else None,
        px_per_mm=None if perspective else ppm,
        rotation_deg=rot,
        extra={"sx": sx, "strength": strength, "sigma": sigma},
    )


def corpus(per_case: dict[str, int] | None = None, seed: int = 1000) -> list[Sample]:
    """A labelled corpus: ``per_case`` frames of each case (default: about 150 in all)."""
    counts = per_case or {
        "good": 20,
        "rotated": 10,
        "contract_text": 6,
        "scribble_beside": 6,
        "perspective": 10,
        "blurred": 8,
        "missing_sector": 8,
        "stretched": 8,
        "faint": 8,
        "oversize": 8,
        "oval": 5,
        "rectangle": 4,
        "no_star": 5,
        "two_seals": 6,
        "black_ink": 5,
        "scribble_only": 5,
        "blank_form": 3,
    }
    out = []
    for i, (case, n) in enumerate(counts.items()):
        for k in range(n):
            out.append(make_sample(case, seed + 1000 * i + k))
    return out


SAMPLE_IMAGES = {
    "good.jpg": ("good", 8),
    "good_mat.jpg": ("perspective", 5),
    "bad_blurred.jpg": ("blurred", 6),
    "bad_incomplete.jpg": ("missing_sector", 7),
    "bad_deformed.jpg": ("stretched", 8),
    "bad_faint.jpg": ("faint", 9),
    "bad_two_seals.jpg": ("two_seals", 10),
    "bad_scribble.jpg": ("scribble_only", 11),
}
SAMPLE_PX_PER_MM = 7.5


def _fixed_scale_sample(case: str, seed: int) -> Sample:
    """A sample at exactly SAMPLE_PX_PER_MM (the sample files share one calibration)."""
    rng_state = np.random.default_rng(seed)
    del rng_state
    s = make_sample(case, seed)
    if s.px_per_mm is None:
        return s
    k = SAMPLE_PX_PER_MM / s.px_per_mm
    img = cv2.resize(
        s.image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    )
    canvas = np.full((720, 1280, 3), np.median(s.image.reshape(-1, 3), axis=0), np.uint8)
    h, w = min(img.shape[0], 720), min(img.shape[1], 1280)
    canvas[:h, :w] = img[:h, :w]
    return Sample(
        s.case,
        canvas,
        s.verdict,
        s.reason,
        s.diameter_mm,
        SAMPLE_PX_PER_MM,
        s.rotation_deg,
        s.extra,
    )


def write_samples(out_dir: Path) -> list[Path]:
    """Write the training-mode sample imprints and a short camera video into ``out_dir``.

    The stills share one scale (``SAMPLE_PX_PER_MM``, also in ``README.txt``) except
    ``good_mat.jpg``, which is scaled by the mat's markers. The video (``session.mp4``, mp4v,
    10 fps) shows an empty form for 0.6 s, then a good imprint for 1.4 s.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fname, (case, seed) in SAMPLE_IMAGES.items():
        s = _fixed_scale_sample(case, seed)
        p = out_dir / fname
        cv2.imwrite(str(p), s.image, [cv2.IMWRITE_JPEG_QUALITY, 88])
        written.append(p)
    good = _fixed_scale_sample("good", 8).image
    blank = _fixed_scale_sample("blank_form", 4).image
    size = (960, 540)
    vw = cv2.VideoWriter(str(out_dir / "session.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    rng = np.random.default_rng(3)
    for i in range(20):
        base = blank if i < 6 else good
        dx, dy = rng.uniform(-1.5, 1.5, 2)
        m = np.array([[0.75, 0, dx], [0, 0.75, dy]], np.float32)
        frame = cv2.warpAffine(base, m, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
        vw.write(frame)
    vw.release()
    written.append(out_dir / "session.mp4")
    (out_dir / "README.txt").write_text(
        "Sample seal imprints for training mode and tests, made by tests/sealgen.py\n"
        "(python -m tests.sealgen hardware/sim/imprints).\n"
        f"Stills: {SAMPLE_PX_PER_MM} px/mm, except good_mat.jpg (scale from the mat's markers).\n"
        f"session.mp4: 960x540 mp4v 10 fps, {SAMPLE_PX_PER_MM * 0.75} px/mm: 0.6 s empty form, "
        "1.4 s a good imprint.\n",
        encoding="utf-8",
    )
    return written


if __name__ == "__main__":
    import sys

    for p in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "hardware/sim/imprints")):
        print(p, p.stat().st_size)
