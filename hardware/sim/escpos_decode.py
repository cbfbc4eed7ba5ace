"""Read ESC/POS bytes back the way a person reads the paper.

No ESC/POS decoder exists on PyPI (STACK.md), so this is a small tokenizer of the commands the
kiosk (and python-escpos on its behalf) emits, plus an interpreter that keeps the printer's state
(Chinese mode, code page, alignment, bold, size) and produces what lands on paper: text lines
(GB18030 while Chinese mode is on), QR code payloads, raster images, and cut marks.

The tokenizer is shared with the printer stand-in (:mod:`hardware.sim.printer`), which needs
command boundaries to answer real-time status queries (``DLE EOT n``) correctly even when the
same byte values occur inside image data. An unknown command is an error, never skipped: a test
must notice when the kiosk starts emitting something nobody reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ESC, FS, GS, DLE = 0x1B, 0x1C, 0x1D, 0x10
LF, CR, HT, FF = 0x0A, 0x0D, 0x09, 0x0C

# Fixed argument counts after the command byte.
_ESC_FIXED = {
    ord("@"): 0,
    ord("2"): 0,
    ord("a"): 1,
    ord("E"): 1,
    ord("-"): 1,
    ord("M"): 1,
    ord("t"): 1,
    ord("d"): 1,
    ord("J"): 1,
    ord("3"): 1,
    ord("G"): 1,
    ord("{"): 1,
    ord("!"): 1,
    ord("R"): 1,
    ord("p"): 3,
    ord("="): 1,
    ord("U"): 1,
    ord("V"): 1,
    ord(" "): 1,
    ord("S"): 0,
    ord("L"): 0,
    ord("T"): 1,
    ord("e"): 1,
    ord("i"): 0,
    ord("m"): 0,
}
_GS_FIXED = {
    ord("!"): 1,
    ord("B"): 1,
    ord("b"): 1,
    ord("H"): 1,
    ord("h"): 1,
    ord("w"): 1,
    ord("f"): 1,
    ord("L"): 2,
    ord("W"): 2,
    ord("a"): 1,
    ord("r"): 1,
    ord("I"): 1,
}
_FS_FIXED = {
    ord("&"): 0,
    ord("."): 0,
    ord("!"): 1,
    ord("-"): 1,
    ord("W"): 1,
    ord("C"): 1,
    ord("S"): 2,
}
_CODEPAGES = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
}


class DecodeError(ValueError):
    """The bytes contain a command this decoder does not know, or a malformed one."""


@dataclass(frozen=True, slots=True)
class Token:
    """One command or one byte of text.

    ``kind`` is ``"text"`` (one printable byte), ``"ctl"`` (LF, CR, HT, FF), or the command's
    prefix and letter (``"ESC a"``, ``"GS ( k"``, ``"DLE EOT"``…); ``args`` its fixed
    arguments; ``payload`` its data block (image bits, QR data).
    """

    kind: str
    args: bytes = b""
    payload: bytes = b""
    start: int = 0
    end: int = 0


_DLE_NAMES = {0x04: "EOT", 0x05: "ENQ", 0x14: "DC4"}


def _name(prefix: int, cmd: int) -> str:
    p = {ESC: "ESC", FS: "FS", GS: "GS", DLE: "DLE"}[prefix]
    if prefix == DLE and cmd in _DLE_NAMES:
        return f"DLE {_DLE_NAMES[cmd]}"
    return f"{p} {chr(cmd)}" if 0x20 < cmd < 0x7F else f"{p} 0x{cmd:02x}"


def next_token(buf: bytes | bytearray, pos: int) -> tuple[Token, int] | None:
    """The token starting at ``pos``, and the position after it.

    Returns:
        ``None`` when the buffer ends inside the token (wait for more bytes).

    Raises:
        DecodeError: an unknown or malformed command.
    """
    n = len(buf)
    if pos >= n:
        return None
    b = buf[pos]
    if b not in (ESC, FS, GS, DLE):
        kind = "ctl" if b in (LF, CR, HT, FF) else "text"
        return Token(kind, bytes([b]), start=pos, end=pos + 1), pos + 1
    if pos + 1 >= n:
        return None
    c = buf[pos + 1]
    name = _name(b, c)

    def fixed(count: int) -> tuple[Token, int] | None:
        end = pos + 2 + count
        if end > n:
            return None
        return Token(name, bytes(buf[pos + 2 : end]), start=pos, end=end), end

    if b == ESC:
        if c in _ESC_FIXED:
            return fixed(_ESC_FIXED[c])
        if c == ord("c"):
            return fixed(2)
        if c == ord("*"):
            if pos + 5 > n:
                return None
            m, nl, nh = buf[pos + 2], buf[pos + 3], buf[pos + 4]
            size = (nl + nh * 256) * (1 if m in (0, 1) else 3)
            end = pos + 5 + size
            if end > n:
                return None
            return Token(
                name, bytes(buf[pos + 2 : pos + 5]), bytes(buf[pos + 5 : end]), pos, end
            ), end
        if c == ord("D"):
            end = bytes(buf).find(b"\x00", pos + 2)
            if end < 0:
                return None
            return Token(name, bytes(buf[pos + 2 : end]), start=pos, end=end + 1), end + 1
    elif b == FS:
        if c in _FS_FIXED:
            return fixed(_FS_FIXED[c])
    elif b == DLE:
        if c in (0x04, 0x05):
            return fixed(1)
        if c == 0x14:
            return fixed(3)
    elif b == GS:
        if c in _GS_FIXED:
            return fixed(_GS_FIXED[c])
        if c == ord("V"):
            if pos + 2 >= n:
                return None
            return fixed(1 if buf[pos + 2] in (0, 1, 48, 49) else 2)
        if c == ord("v"):
            if pos + 8 > n:
                return None
            if buf[pos + 2] != ord("0"):
                raise DecodeError(f"GS v with mode {buf[pos + 2]!r} at offset {pos}")
            xb = buf[pos + 4] + buf[pos + 5] * 256
            yd = buf[pos + 6] + buf[pos + 7] * 256
            end = pos + 8 + xb * yd
            if end > n:
                return None
            return Token(
                name, bytes(buf[pos + 2 : pos + 8]), bytes(buf[pos + 8 : end]), pos, end
            ), end
        if c == ord("("):
            if pos + 5 > n:
                return None
            fn = buf[pos + 2]
            size = buf[pos + 3] + buf[pos + 4] * 256
            end = pos + 5 + size
            if end > n:
                return None
            return (
                Token(
                    f"GS ( {chr(fn)}",
                    bytes(buf[pos + 2 : pos + 5]),
                    bytes(buf[pos + 5 : end]),
                    pos,
                    end,
                ),
                end,
            )
        if c == ord("k"):
            if pos + 3 > n:
                return None
            m = buf[pos + 2]
            if m <= 6:
                end = bytes(buf).find(b"\x00", pos + 3)
                if end < 0:
                    return None
                return Token(name, bytes([m]), bytes(buf[pos + 3 : end]), pos, end + 1), end + 1
            if pos + 4 > n:
                return None
            end = pos + 4 + buf[pos + 3]
            if end > n:
                return None
            return Token(name, bytes([m]), bytes(buf[pos + 4 : end]), pos, end), end
    raise DecodeError(f"unknown ESC/POS command {name} (0x{b:02x} 0x{c:02x}) at offset {pos}")


def tokenize(data: bytes) -> list[Token]:
    """Every token of a complete job.

    Raises:
        DecodeError: an unknown command, or the data ends inside a command.
    """
    out: list[Token] = []
    pos = 0
    while pos < len(data):
        got = next_token(data, pos)
        if got is None:
            raise DecodeError(f"data ends inside a command at offset {pos}")
        tok, pos = got
        out.append(tok)
    return out


Align = Literal["left", "center", "right"]


@dataclass(frozen=True, slots=True)
class TextLine:
    """A printed line of text, with the style it was printed in."""

    text: str
    align: Align = "left"
    bold: bool = False
    width: int = 1
    height: int = 1
    chinese_mode: bool = False


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR code the printer drew itself (``GS ( k``)."""

    data: str
    size: int = 3


@dataclass(frozen=True, slots=True)
class RasterImage:
    """A bit image (``GS v 0``, ``GS ( L`` or ``ESC *``): width and height in dots, 1 = black."""

    width: int
    height: int
    bits: bytes = field(repr=False)

    def to_pil(self) -> Any:  # PIL.Image.Image; the import is lazy (the decoder needs no Pillow)
        """The image as a Pillow 1-bit image (black ink on white)."""
        from PIL import Image, ImageOps

        img = Image.frombytes("1", (self.width, self.height), self.bits)
        return ImageOps.invert(img.convert("L")).convert("1")

    def black_dots(self) -> int:
        """How many dots are inked."""
        return sum(bin(b).count("1") for b in self.bits)


@dataclass(frozen=True, slots=True)
class CutMark:
    """The paper was cut here."""

    partial: bool = False


Item = TextLine | QrCode | RasterImage | CutMark


@dataclass
class Paper:
    """What came out of the printer for one job."""

    items: list[Item] = field(default_factory=list)
    status_queries: list[int] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        """Every non-blank text line, trailing spaces removed."""
        return [i.text.rstrip() for i in self.items if isinstance(i, TextLine) and i.text.strip()]

    @property
    def text(self) -> str:
        """All text lines joined with newlines (blank lines kept)."""
        return "\n".join(i.text.rstrip() for i in self.items if isinstance(i, TextLine))

    @property
    def qr_codes(self) -> list[str]:
        """Payloads of the QR codes the printer drew itself."""
        return [i.data for i in self.items if isinstance(i, QrCode)]

    @property
    def images(self) -> list[RasterImage]:
        """Raster images in print order."""
        return [i for i in self.items if isinstance(i, RasterImage)]

    @property
    def cuts(self) -> list[CutMark]:
        """Cut marks in print order."""
        return [i for i in self.items if isinstance(i, CutMark)]

    def layout(self, columns: int) -> list[str]:
        """Text lines placed as the printer places them on a ``columns``-wide line.

        Alignment becomes leading spaces (double-width text has half the columns), so a line
        reads exactly as the screen preview of the same document.
        """
        from hardware.printer.doc import align_text

        return [
            align_text(i.text.rstrip(), columns // i.width, i.align)
            for i in self.items
            if isinstance(i, TextLine)
        ]

    def slips(self) -> list[Paper]:
        """The job split at its cuts: each piece of paper a person tears off."""
        out: list[Paper] = [Paper()]
        for it in self.items:
            out[-1].items.append(it)
            if isinstance(it, CutMark):
                out.append(Paper())
        return [p for p in out if p.items]

    def find(self, needle: str) -> str | None:
        """The first line containing ``needle``, or None."""
        return next((ln for ln in self.lines if needle in ln), None)

    def image_qr_codes(self) -> list[str]:
        """Payloads of QR codes printed as raster images (read with OpenCV's detector)."""
        import cv2
        import numpy as np

        found: list[str] = []
        detector = cv2.QRCodeDetector()
        for img in self.images:
            arr = np.array(img.to_pil().convert("L"))
            arr = np.pad(arr, 16, constant_values=255)
            arr = cv2.resize(arr, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
            data, _, _ = detector.detectAndDecode(arr)
            if data:
                found.append(data)
        return found


# ESC a n: 0-2, or the ASCII digits "0"-"2".
_ALIGN: dict[int, Align] = {
    0: "left",
    1: "center",
    2: "right",
    48: "left",
    49: "center",
    50: "right",
}
# (align, bold, width, height) of the text being collected.
_Style = tuple[Align, bool, int, int]


class _Interpreter:
    def __init__(self) -> None:
        self.paper = Paper()
        self.reset()
        self.buf = bytearray()
        self.line_style: _Style | None = None
        self.qr_data = b""
        self.qr_size = 3
        self.graphics: RasterImage | None = None

    def reset(self) -> None:
        self.chinese = False
        self.codepage = 0
        self.align: Align = "left"
        self.bold = False
        self.width = 1
        self.height = 1

    def style(self) -> _Style:
        return (self.align, self.bold, self.width, self.height)

    def text_byte(self, b: int) -> None:
        if not self.buf:
            self.line_style = self.style()
        self.buf.append(b)

    def flush(self, force: bool = True) -> None:
        if not self.buf and not force:
            return
        style = self.line_style if self.buf and self.line_style is not None else self.style()
        align, bold, width, height = style
        if self.chinese:
            text = bytes(self.buf).decode("gb18030", errors="replace")
        else:
            text = bytes(self.buf).decode(_CODEPAGES.get(self.codepage, "cp437"), errors="replace")
        self.paper.items.append(TextLine(text, align, bold, width, height, self.chinese))
        self.buf.clear()

    def feed(self, tok: Token) -> None:
        k = tok.kind
        a = tok.args
        if k == "text":
            self.text_byte(a[0])
        elif k == "ctl":
            if a[0] == LF:
                self.flush()
            elif a[0] == HT:
                self.text_byte(0x20)
            elif a[0] == FF:
                self.flush(force=False)
        elif k == "ESC @":
            self.flush(force=False)
            self.reset()
        elif k == "ESC a":
            self.align = _ALIGN.get(a[0], "left")
        elif k == "ESC E" or k == "ESC G":
            self.bold = bool(a[0] & 1)
        elif k == "ESC !":
            self.bold = bool(a[0] & 0x08)
            self.height = 2 if a[0] & 0x10 else 1
            self.width = 2 if a[0] & 0x20 else 1
        elif k == "GS !":
            self.width = (a[0] >> 4) + 1
            self.height = (a[0] & 0x0F) + 1
        elif k == "ESC t":
            self.codepage = a[0]
        elif k == "FS &":
            self.chinese = True
        elif k == "FS .":
            self.chinese = False
        elif k == "ESC d":
            self.flush(force=False)
            for _ in range(a[0]):
                self.flush()
        elif k == "GS V":
            self.flush(force=False)
            self.paper.items.append(CutMark(partial=a[0] in (1, 49, 66)))
        elif k == "GS v":
            self.flush(force=False)
            xb = a[2] + a[3] * 256
            yd = a[4] + a[5] * 256
            self.paper.items.append(RasterImage(xb * 8, yd, tok.payload))
        elif k == "GS ( k":
            self._qr(tok.payload)
        elif k == "GS ( L":
            self._graphics(tok.payload)
        elif k == "ESC *":
            self.flush(force=False)
            # Column format: record presence and size; rows of 8 or 24 dots.
            m = a[0]
            width = a[1] + a[2] * 256
            self.paper.items.append(RasterImage(width, 8 if m in (0, 1) else 24, b""))
        elif k == "DLE EOT":
            self.paper.status_queries.append(a[0])
        # Every other known command (fonts, spacing, underline, drawer…) changes nothing a
        # reader of the paper checks.

    def _qr(self, payload: bytes) -> None:
        if len(payload) < 2 or payload[0] != 49:
            return  # other 2D codes (PDF417) are not used by the kiosk
        fn = payload[1]
        if fn == 67:
            self.qr_size = payload[2]
        elif fn == 80:
            self.qr_data = payload[3:]
        elif fn == 81:
            self.flush(force=False)
            self.paper.items.append(QrCode(self.qr_data.decode("utf-8", "replace"), self.qr_size))

    def _graphics(self, payload: bytes) -> None:
        if len(payload) >= 2 and payload[1] == 112:  # store raster graphics
            x = payload[6] + payload[7] * 256
            y = payload[8] + payload[9] * 256
            self.graphics = RasterImage(x, y, payload[10:])
        elif len(payload) >= 2 and payload[1] == 50 and self.graphics is not None:  # print
            self.flush(force=False)
            self.paper.items.append(self.graphics)
            self.graphics = None


def decode(data: bytes) -> Paper:
    """Interpret a whole job.

    Raises:
        DecodeError: an unknown command or truncated data.
    """
    it = _Interpreter()
    for tok in tokenize(data):
        it.feed(tok)
    it.flush(force=False)
    return it.paper
