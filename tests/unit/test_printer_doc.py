"""The receipt's text: widths, wrapping, GB18030 in Chinese mode, the placeholder, and that the
screen preview and the decoded paper show the same lines."""

from __future__ import annotations

import pytest

from hardware.printer import PLACEHOLDER, Cut, Doc, Line, PrinterModel, Qr, pair, render, wrap
from hardware.printer.doc import encode_gb, printable_text, text_width
from hardware.sim.escpos_decode import decode
from kiosk.errors import ConfigError


def test_cjk_counts_two_columns_and_pair_keeps_amount_whole() -> None:
    assert text_width("合计 Total") == 10
    line = pair("一个非常非常非常非常非常非常长的收费项目名称", "￥1,200.00", 42)
    assert line.endswith("￥1,200.00")
    assert text_width(line) <= 42


def test_wrap_keeps_words_and_breaks_cjk_anywhere() -> None:
    assert wrap("Change this PIN at once (8+ characters)", 20) == [
        "Change this PIN at",
        "once (8+ characters)",
    ]
    assert all(text_width(ln) <= 10 for ln in wrap("东莞市莞城区东城西路92号通联大厦", 10))


def test_punctuation_only_and_yen_encode_as_gbk_not_question_marks() -> None:
    # python-escpos turns punctuation-only strings into '?'; we must not.
    data, replaced = encode_gb("“”！（）")
    assert replaced == 0
    assert data.decode("gbk") == "“”！（）"
    assert b"?" not in data
    assert printable_text("¥200") == "￥200"


def test_character_outside_gbk_prints_placeholder_and_counts() -> None:
    data, replaced = encode_gb("王䶮")  # 䶮: CJK Extension A, in real names
    assert replaced == 1
    assert data.decode("gbk") == "王" + PLACEHOLDER


def test_control_characters_never_reach_the_printer() -> None:
    data, replaced = encode_gb("A\x1bB")
    assert b"\x1b" not in data and replaced == 1


@pytest.mark.parametrize("profile", ["TM-T88V", "ZJ-5870"])
def test_preview_lines_equal_the_decoded_paper(profile: str) -> None:
    model = PrinterModel(profile, "gb18030")
    doc = Doc(
        model.columns,
        (
            Line("广东省电子商务认证有限公司", "center", bold=True),
            Line(pair("合计 Total", "¥1,200.00", model.columns)),
            Line("付款方 王䶮"),
            Qr("DG-20261121-0007"),
            Cut(),
        ),
    )
    paper = decode(render(doc, model))
    preview = [
        ln for ln in doc.preview_lines() if ln.strip() and "[QR]" not in ln and "✂" not in ln
    ]
    assert [ln for ln in paper.layout(model.columns) if ln.strip()] == preview
    assert paper.items[0].chinese_mode  # type: ignore[union-attr]


def test_unknown_profile_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as e:
        PrinterModel("NO-SUCH-PRINTER")
    assert e.value.code == "config.printer_profile"


def test_cli_printer_states_match_the_stand_in() -> None:
    from hardware.sim.printer import STATES
    from kiosk.shell.cli.sim import PRINTER_STATES

    assert PRINTER_STATES == STATES
