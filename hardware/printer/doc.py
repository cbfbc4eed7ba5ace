"""What goes on paper, before it becomes ESC/POS bytes: a small document model.

The receipt builder (``kiosk.receipts``) produces a :class:`Doc`; the renderer turns it into
bytes for a printer profile, and the on-screen preview turns the very same Doc into text lines,
so what the clerk sees is what the printer prints.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]

# Shown where a character cannot be printed (outside the printer's Chinese font). U+25A1 is in
# GB2312, so every Chinese printer has it; the data itself keeps the real character.
PLACEHOLDER = "□"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text. ``big`` prints it double width and height."""

    text: str
    align: Align = "left"
    bold: bool = False
    big: bool = False


@dataclass(frozen=True, slots=True)
class Qr:
    """A QR code carrying ``data`` (ASCII)."""

    data: str
    size: int = 6


@dataclass(frozen=True, slots=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    """Feed and cut the paper (the end of one slip)."""

    partial: bool = False


Element = Line | Qr | Feed | Cut


@dataclass(frozen=True, slots=True)
class Doc:
    """A printable document laid out for ``columns`` half-width columns."""

    columns: int
    elements: tuple[Element, ...] = field(default_factory=tuple)

    def preview_lines(self, *, printable: bool = True) -> list[str]:
        """The document as plain text lines, exactly as laid out for paper.

        QR codes show as ``[QR] data``, cuts as a row of scissors marks; ``big`` lines keep
        their text (the screen cannot double a character's size).

        Args:
            printable: show characters as a printer's own Chinese font prints them
                (placeholders for characters outside GBK); False keeps the text as given.
        """
        out: list[str] = []
        for el in self.elements:
            if isinstance(el, Line):
                cols = self.columns // 2 if el.big else self.columns
                text = printable_text(el.text) if printable else el.text
                out.append(align_text(text, cols, el.align))
            elif isinstance(el, Qr):
                out.append(align_text(f"[QR] {el.data}", self.columns, "center"))
            elif isinstance(el, Feed):
                out.extend([""] * el.lines)
            elif isinstance(el, Cut):
                out.append("- " * (self.columns // 2) + "✂")
        return out


def char_width(ch: str) -> int:
    """Columns a character takes on paper: 2 for CJK (wide/full-width), else 1."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Columns a string takes on paper."""
    return sum(char_width(c) for c in text)


def truncate(text: str, columns: int) -> str:
    """The longest prefix of ``text`` that fits ``columns``."""
    used = 0
    for i, ch in enumerate(text):
        used += char_width(ch)
        if used > columns:
            return text[:i]
    return text


def wrap(text: str, columns: int) -> list[str]:
    """Break ``text`` into lines of at most ``columns``.

    CJK characters count double and may break anywhere; runs of ASCII (words, numbers) move to
    the next line whole unless a run alone is longer than a line.
    """
    lines: list[str] = []
    cur, used = "", 0
    for tok in _TOKENS.findall(text):
        w = text_width(tok)
        if used + w > columns and cur:
            lines.append(cur.rstrip())
            cur, used = "", 0
            if tok.isspace():
                continue
        while w > columns:  # a word longer than a line: break it
            head = truncate(tok, columns)
            lines.append(head)
            tok = tok[len(head) :]
            w = text_width(tok)
        cur += tok
        used += w
    if cur or not lines:
        lines.append(cur.rstrip())
    return lines


_TOKENS = re.compile(r"[!-~]+|\s|.", re.S)


def align_text(text: str, columns: int, align: Align) -> str:
    """Pad ``text`` to ``align`` it within ``columns`` (no trailing spaces on the right)."""
    text = truncate(text, columns)
    gap = columns - text_width(text)
    if align == "center":
        return " " * (gap // 2) + text
    if align == "right":
        return " " * gap + text
    return text


def pair(left: str, right: str, columns: int) -> str:
    """``left`` and ``right`` on one line, ``right`` flush to the right edge.

    When both do not fit, ``left`` is shortened (the amount on the right always shows whole).
    """
    room = columns - text_width(right) - 1
    left = truncate(left, max(room, 0))
    gap = columns - text_width(left) - text_width(right)
    return left + " " * max(gap, 1) + right


_TRANSLATE = str.maketrans({"¥": "￥"})


def encode_gb(text: str) -> tuple[bytes, int]:
    """Encode a line for a printer in Chinese mode (its built-in font covers GBK).

    ``¥`` (U+00A5, four bytes in GB18030) is sent as ``￥`` (U+FFE5); any other character
    outside GBK (Extension A in rare names, emoji) and control characters become
    :data:`PLACEHOLDER`, so the line keeps its layout and the data keeps the real character.

    Returns:
        The bytes and how many characters were replaced by the placeholder.
    """
    out = bytearray()
    replaced = 0
    for ch in text.translate(_TRANSLATE):
        if ch.isascii():
            if ch.isprintable():
                out += ch.encode("ascii")
                continue
        else:
            try:
                out += ch.encode("gbk")
                continue
            except UnicodeEncodeError:
                pass
        out += PLACEHOLDER.encode("gbk")
        replaced += 1
    return bytes(out), replaced


def printable_text(text: str) -> str:
    """``text`` as a printer's own Chinese font shows it (placeholders in place)."""
    return encode_gb(text)[0].decode("gbk")
