"""The decoder reads what python-escpos and our renderer emit, and refuses what it does not know."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy
from PIL import Image, ImageDraw

from hardware.printer import Cut, Doc, Line, PrinterModel, Qr, render
from hardware.printer.render import raster_line
from hardware.sim.escpos_decode import DecodeError, decode, next_token, tokenize


def test_python_escpos_output_reads_back() -> None:
    p = Dummy(profile="TM-T88V")
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.textln("RECEIPT")
    p.set(normal_textsize=True, bold=False, align="left")
    p.textln("Total 12.00")
    p.qr("DG-20261121-0007", native=True)
    p.cut(mode="PART")
    paper = decode(bytes(p.output))
    assert paper.lines == ["RECEIPT", "Total 12.00"]
    first = paper.items[0]
    assert first.align == "center" and first.bold and first.width == 2  # type: ignore[union-attr]
    assert paper.qr_codes == ["DG-20261121-0007"]
    assert [c.partial for c in paper.cuts] == [True]


def test_raster_image_round_trip() -> None:
    img = Image.new("1", (64, 16), 1)
    ImageDraw.Draw(img).rectangle((8, 4, 23, 11), fill=0)  # 16 x 8 black dots
    p = Dummy(profile="TM-T88V")
    p.image(img)
    (image,) = decode(bytes(p.output)).images
    assert (image.width, image.height) == (64, 16)
    assert image.black_dots() == 16 * 8


def test_qr_printed_as_image_is_read_with_opencv() -> None:
    model = PrinterModel("ZJ-5870")  # no native QR on this profile: sent as an image
    paper = decode(render(Doc(model.columns, (Qr("DG-20261121-0008"),)), model))
    assert paper.qr_codes == []
    assert paper.image_qr_codes() == ["DG-20261121-0008"]


def test_raster_mode_sends_lines_as_images_matching_a_fresh_render() -> None:
    model = PrinterModel("TM-T88V", "raster")
    doc = Doc(model.columns, (Line("王䶮 收费凭证"), Cut()))
    paper = decode(render(doc, model))
    assert paper.lines == []  # no text bytes at all: the printer needs no Chinese font
    (image,) = paper.images
    expected = raster_line("王䶮 收费凭证", width_px=model.width_px)
    assert image.to_pil().tobytes() == expected.tobytes()
    assert len(paper.cuts) == 1


def test_unknown_command_is_an_error_not_skipped() -> None:
    with pytest.raises(DecodeError, match="unknown ESC/POS command"):
        tokenize(b"abc\x1b\xffdef")


def test_truncated_command_waits_for_more_bytes() -> None:
    data = b"\x1dv0\x00\x02\x00\x02\x00\x10\x04"  # image of 4 bytes, only 2 here
    assert next_token(data, 0) is None
    tok, end = next_token(data + b"\x10\x04", 0)  # type: ignore[misc]
    assert tok.kind == "GS v" and end == len(data) + 2  # DLE EOT inside image data is data


def test_status_queries_are_seen_but_not_printed() -> None:
    paper = decode(b"\x10\x04\x01hello\n\x10\x04\x04")
    assert paper.status_queries == [1, 4]
    assert paper.lines == ["hello"]
