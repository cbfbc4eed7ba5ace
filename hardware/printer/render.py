"""A :class:`~hardware.printer.doc.Doc` into ESC/POS bytes, two ways of printing Chinese.

python-escpos 3.1 gives us the backends, text styles, native and image QR codes, raster images
and the cut; its ``text()`` is not usable for Chinese: it sends raw GB18030 only when a string
contains a character in U+4E00–U+9FA5, never switches the printer's Chinese mode (``FS &``),
and turns punctuation-only or Extension-A strings into ``?`` (see STACK.md). So text is encoded
here and handed to the printer object's ``_raw``:

- ``gb18030``: ``FS &`` once, then each line as GB18030 bytes within GBK, which printers'
  built-in Chinese fonts cover; other characters print as a placeholder and ``¥`` as ``￥``
  (see :func:`~hardware.printer.doc.encode_gb`).
- ``raster``: each line drawn with Pillow in a monospaced CJK font (Noto Sans Mono CJK SC, or
  WenQuanYi Zen Hei Mono) and sent as a ``GS v 0`` image; for printers without a Chinese font.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from escpos.capabilities import get_profile
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from hardware.printer.doc import Cut, Doc, Feed, Line, Qr, align_text, encode_gb
from kiosk.errors import ConfigError, PrinterError

ChineseMode = Literal["gb18030", "raster"]

FS_CHINESE_ON = b"\x1c&"
FS_CHINESE_OFF = b"\x1c."
ESC_INIT = b"\x1b@"
_ALIGN = {"left": b"\x1ba\x00", "center": b"\x1ba\x01", "right": b"\x1ba\x02"}
_BOLD = {False: b"\x1bE\x00", True: b"\x1bE\x01"}
_SIZE = {False: b"\x1d!\x00", True: b"\x1d!\x11"}

# Fonts tried in order for raster lines: (file, face index). Monospaced, so the columns of the
# text layout (and the screen preview) line up on paper exactly.
RASTER_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 7),  # Noto Sans Mono CJK SC
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),  # WenQuanYi Zen Hei Mono
)


@dataclass(frozen=True, slots=True)
class PrinterModel:
    """What the renderer needs of a printer: its python-escpos profile and how it prints Chinese.

    Args:
        profile: a python-escpos profile name (``TM-T88V``, ``ZJ-5870``, ``default`` …).
        chinese: ``gb18030`` (the printer's own Chinese font) or ``raster`` (images).
    """

    profile: str = "TM-T88V"
    chinese: ChineseMode = "gb18030"

    def __post_init__(self) -> None:
        try:
            get_profile(self.profile)
        except Exception as e:  # escpos raises its own NotSupported / KeyError variants
            raise ConfigError(
                f"unknown printer profile {self.profile!r}; see python-escpos's capabilities "
                "(e.g. TM-T88V, TM-T20II, ZJ-5870, POS-5890, default)",
                code="config.printer_profile",
            ) from e
        if self.chinese not in ("gb18030", "raster"):
            raise ConfigError(
                f"printer chinese mode {self.chinese!r}; valid: gb18030, raster",
                code="config.printer_chinese",
            )

    @property
    def columns(self) -> int:
        """Half-width columns per line in font A."""
        return int(get_profile(self.profile).get_columns("a"))

    @property
    def width_px(self) -> int:
        """Printable width in dots (512 when the profile does not say)."""
        px = get_profile(self.profile).profile_data["media"]["width"]["pixels"]
        return int(px) if str(px).isdigit() else 512

    @property
    def native_qr(self) -> bool:
        """Whether the printer draws QR codes itself (``GS ( k``)."""
        return bool(get_profile(self.profile).supports("qrCode"))


@functools.cache
def raster_font(size: int) -> ImageFont.FreeTypeFont:
    """The monospaced CJK font for raster lines.

    Raises:
        PrinterError: no CJK font installed (Debian ``fonts-noto-cjk`` or ``fonts-wqy-zenhei``).
    """
    for path, index in RASTER_FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size, index=index)
    raise PrinterError(
        "raster receipts need a CJK font: install fonts-noto-cjk or fonts-wqy-zenhei",
        code="printer.no_font",
    )


def raster_line(text: str, *, width_px: int, bold: bool = False, big: bool = False) -> Image.Image:
    """Draw one already aligned text line as a 1-bit image ``width_px`` wide.

    A half-width column is 12 dots (24-dot font); ``big`` doubles both.
    """
    size = 48 if big else 24
    height = size + size // 4
    img = Image.new("1", (width_px, height), 1)
    draw = ImageDraw.Draw(img)
    draw.text((0, size // 8), text, font=raster_font(size), fill=0, stroke_width=1 if bold else 0)
    return img


def render(doc: Doc, model: PrinterModel) -> bytes:
    """The ESC/POS bytes of ``doc`` for ``model``.

    Raises:
        PrinterError: the document cannot be printed on this printer (an image too wide, no
            CJK font for raster mode).
    """
    p = Dummy(profile=model.profile)
    p._raw(ESC_INIT)
    if model.chinese == "gb18030":
        p._raw(FS_CHINESE_ON)
    for el in doc.elements:
        if isinstance(el, Line):
            cols = doc.columns // 2 if el.big else doc.columns
            if model.chinese == "raster":
                text = align_text(el.text, cols, el.align)
                p._raw(_ALIGN["left"])
                p.image(raster_line(text, width_px=model.width_px, bold=el.bold, big=el.big))
            else:
                data, _ = encode_gb(el.text)
                p._raw(_ALIGN[el.align] + _BOLD[el.bold] + _SIZE[el.big] + data + b"\n")
                if el.bold or el.big:
                    p._raw(_BOLD[False] + _SIZE[False])
        elif isinstance(el, Qr):
            p._raw(_ALIGN["center"])
            if model.native_qr:
                p.qr(el.data, size=el.size, native=True)
                p._raw(b"\n")
            else:
                p.qr(el.data, size=max(1, min(el.size, 8)), native=False)
            p._raw(_ALIGN["left"])
        elif isinstance(el, Feed):
            p._raw(b"\n" * el.lines)
        elif isinstance(el, Cut):
            p.cut(mode="PART" if el.partial else "FULL")
    try:
        return bytes(p.output)
    finally:
        p.close()
