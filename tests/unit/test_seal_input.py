"""`kiosk seal check` / `extract` on good and bad input: exit codes, JSON, named errors."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from hardware.seal import RuleTable, analyse, load_image
from hardware.sim.seal_samples import SAMPLE_PX_PER_MM, sample
from kiosk.errors import ConfigError, SealError, UsageError
from kiosk.shell.cli import cli
from tests.sealgen import form_page

PPM = str(SAMPLE_PX_PER_MM)


def run(*args: str):
    return CliRunner().invoke(cli, ["seal", *args], catch_exceptions=False)


def png_header_only(path: Path, w: int, h: int) -> None:
    """A PNG whose header claims w×h (no pixel data): decoding it would need w·h·3 bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def test_check_good_imprint_passes_with_the_issue_keys():
    r = run("check", str(sample("good.jpg")), "--px-per-mm", PPM, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    for key in (
        "verdict",
        "reasons",
        "borderline",
        "shape",
        "diameter_mm",
        "sharpness",
        "completeness",
        "deformation",
        "count",
        "elapsed_ms",
    ):
        assert key in out
    assert out["verdict"] == "pass" and out["reasons"] == [] and out["count"] == 1
    assert out["shape"] == "round" and 33 < out["diameter_mm"] < 45


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bad_blurred.jpg", "blurred"),
        ("bad_incomplete.jpg", "incomplete"),
        ("bad_deformed.jpg", "deformed"),
        ("bad_faint.jpg", "faint"),
        ("bad_two_seals.jpg", "multiple"),
        ("bad_scribble.jpg", "no_seal"),
    ],
)
def test_check_bad_imprints_fail_with_the_named_reason(name, reason):
    r = run("check", str(sample(name)), "--px-per-mm", PPM, "--json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["verdict"] == "fail" and reason in out["reasons"]


def test_markers_on_the_mat_give_the_scale_without_a_calibration():
    r = run("check", str(sample("good_mat.jpg")), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["scale_source"] == "markers" and out["deformation"] < 1.03


def test_size_is_judged_against_the_unit_types_rule():
    # A 41.5 mm seal: fine for an enterprise, but a township government's seal must be 42 mm
    # and a county government's 45 mm.
    r = run(
        "check",
        str(sample("good.jpg")),
        "--px-per-mm",
        PPM,
        "--json",
        "--unit-type",
        "state_organ_county_gov",
    )
    assert r.exit_code == 1 and "size" in json.loads(r.stdout)["reasons"]


def test_human_output_names_verdict_and_metrics():
    r = run("check", str(sample("bad_incomplete.jpg")), "--px-per-mm", PPM)
    assert r.exit_code == 1
    assert "verdict: fail" in r.output and "reasons: incomplete" in r.output
    assert "longest gap" in r.output


def test_unknown_unit_type_is_a_usage_error_listing_choices():
    r = CliRunner().invoke(cli, ["seal", "check", str(sample("good.jpg")), "--unit-type", "bank"])
    assert r.exit_code == 2
    assert "enterprise" in r.output and "institution" in r.output


def test_without_scale_or_markers_the_input_is_unusable(tmp_path):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text("")  # px_per_mm defaults to 0: use the mat
    r = CliRunner().invoke(
        cli, ["--config", str(cfg), "seal", "check", str(sample("good.jpg")), "--json"]
    )
    if r.exit_code != 2 or "no_scale" not in r.output:
        # an empty kiosk.toml may itself be refused (programs are required): then the error
        # is a configuration one, still exit 2 and no traceback
        assert r.exit_code == 2 or isinstance(r.exception, ConfigError)


def test_not_an_image(tmp_path):
    p = tmp_path / "form.jpg"
    p.write_text("this is not a picture")
    r = run("check", str(p), "--px-per-mm", "8", "--json")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"] == "seal.not_image"


def test_truncated_jpeg(tmp_path):
    data = sample("good.jpg").read_bytes()
    p = tmp_path / "cut.jpg"
    p.write_bytes(data[: len(data) // 2])
    r = run("check", str(p), "--px-per-mm", "8", "--json")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"] == "seal.truncated"


def test_hundred_megapixel_image_is_refused_before_decoding(tmp_path):
    p = tmp_path / "huge.png"
    png_header_only(p, 12_000, 9_000)  # 108 MP: ~324 MB if decoded
    with pytest.raises(SealError) as e:
        load_image(p)
    assert e.value.code == "seal.too_large"
    r = run("check", str(p), "--px-per-mm", "8", "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"] == "seal.too_large"


def test_missing_file(tmp_path):
    r = run("check", str(tmp_path / "nope.jpg"), "--px-per-mm", "8", "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"] == "seal.not_found"


def test_all_black_frame_is_unusable(tmp_path):
    p = tmp_path / "black.png"
    Image.new("RGB", (1280, 720), (0, 0, 0)).save(p)
    r = run("check", str(p), "--px-per-mm", "8", "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["error"] == "seal.too_dark"


def test_all_white_frame_has_no_seal(tmp_path):
    p = tmp_path / "white.png"
    Image.new("RGB", (1280, 720), (255, 255, 255)).save(p)
    r = run("check", str(p), "--px-per-mm", "8", "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 1 and out["reasons"] == ["no_seal"] and "blank_frame" in out["notes"]


def test_form_text_only_has_no_seal():
    page = form_page(1280, 720, 8.0, np.random.default_rng(5)).astype(np.uint8)
    res = analyse(page, 8.0)
    assert res.reasons == ["no_seal"] and res.count == 0


def test_red_objects_that_are_not_seals():
    page = form_page(1280, 720, 8.0, np.random.default_rng(6)).astype(np.uint8)
    cv2.rectangle(page, (100, 200), (400, 260), (40, 40, 210), -1)  # a red sticker
    cv2.line(page, (600, 300), (1100, 600), (50, 30, 200), 4)  # a red pen line
    cv2.circle(page, (900, 250), 120, (50, 30, 200), 3)  # a circle drawn with a red pen
    res = analyse(page, 8.0)
    assert res.reasons == ["no_seal"]
    assert "red_marks_not_a_seal" in res.notes


def test_bad_frames_are_named_errors():
    with pytest.raises(SealError, match="colour"):
        analyse(np.zeros((100, 100), np.uint8), 8.0)
    with pytest.raises(SealError) as e:
        analyse(np.full((100, 100, 3), 255, np.uint8), 0.0)
    assert e.value.code == "seal.bad_scale"


def test_extract_writes_transparent_upright_seal_with_size(tmp_path):
    out = tmp_path / "seal.png"
    r = run("extract", str(sample("good.jpg")), "-o", str(out), "--px-per-mm", PPM)
    assert r.exit_code == 0, r.output
    meta = json.loads(out.with_suffix(".json").read_text())
    check = json.loads(run("check", str(sample("good.jpg")), "--px-per-mm", PPM, "--json").stdout)
    assert abs(meta["width_mm"] - check["diameter_mm"]) < 0.01
    assert meta["dpi"] == 300
    with Image.open(out) as im:
        assert im.mode == "RGBA"
        assert abs(im.info["dpi"][0] - 300) < 0.5
        rgba = np.asarray(im)
    # corners are transparent, the border is red and opaque, no black form print is left
    assert rgba[0, 0, 3] == 0 and rgba[-1, -1, 3] == 0
    opaque = rgba[rgba[:, :, 3] > 128]
    assert len(opaque) > 0.05 * rgba.shape[0] * rgba.shape[1]
    assert (opaque[:, 0] > 200).all() and (opaque[:, 1] < 40).all()
    # the picture is a whole number of mm at 300 dpi: the diameter plus a small margin
    assert meta["picture_width_mm"] == int(meta["picture_width_mm"])
    assert abs(rgba.shape[1] / (300 / 25.4) - meta["picture_width_mm"]) < 0.1
    assert 0 < meta["picture_width_mm"] - meta["width_mm"] < 2.5


def test_seal_group_has_check_extract_preview_and_verify():
    r = CliRunner().invoke(cli, ["seal", "--help"])
    assert r.exit_code == 0
    for name in ("check", "extract", "preview", "verify"):
        assert f"  {name} " in r.output


def test_extract_refuses_two_seals(tmp_path):
    r = run(
        "extract",
        str(sample("bad_two_seals.jpg")),
        "-o",
        str(tmp_path / "x.png"),
        "--px-per-mm",
        PPM,
    )
    assert r.exit_code == 1 and "exactly one" in r.output
    assert not (tmp_path / "x.png").exists()


def test_rules_table_rows_all_name_their_source():
    table = RuleTable.load()
    assert all(r.source for r in table.rules)
    ent = table.find("enterprise", "official")
    assert ent.shapes == ("round",) and ent.diameter_mm[1] == 45.0 and ent.centre == "star"
    assert table.find("institution", "mortgage").seal_type == "*"
    with pytest.raises(UsageError):
        table.find("bank", "official")


def test_a_bad_rules_file_names_file_and_row(tmp_path):
    p = tmp_path / "rules.toml"
    p.write_text('[[rule]]\nunit_type = "x"\nseal_type = "y"\nshapes = ["square"]\nsource = "s"\n')
    with pytest.raises(ConfigError, match=r"rules.toml rule #1: shapes"):
        RuleTable.load(p)
