"""`kiosk fees quote`, `kiosk check id|uscc`, `kiosk hours`: output, JSON and exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.domain.identifiers import resident_id_check_char
from kiosk.shell.cli import main

REPO = Path(__file__).resolve().parent.parent.parent
CONFIG = str(REPO / "kiosk" / "kiosk.toml")


def kiosk(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", CONFIG, *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- fees quote ----------------------------------------------------------------------------


def test_quote_json_for_the_dongguan_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kiosk(
        capsys, "fees", "quote", "--program", "dongguan-hpf", "--service", "new",
        "--kind", "org", "--years", "3", "--seal", "--json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["total_fen"] == 120000
    assert [(i["label"], i["amount_fen"]) for i in data["items"]] == [
        ("Organisation certificate service fee, 3 year(s)", 60000),
        ("Electronic seal service fee, 3 year(s)", 60000),
    ]
    assert data["total_fen"] == sum(i["amount_fen"] for i in data["items"])


@pytest.mark.parametrize(
    ("program", "years", "fen"),
    [("gd-procurement", "3", 140000), ("pingan-procurement", "5", 100000)],
)
def test_quote_json_for_the_other_examples(
    capsys: pytest.CaptureFixture[str], program: str, years: str, fen: int
) -> None:
    code, out, _ = kiosk(
        capsys, "fees", "quote", "--program", program, "--service", "new", "--kind", "org",
        "--years", years, "--json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["total_fen"] == fen


def test_quote_table_shows_yuan(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kiosk(
        capsys, "fees", "quote", "--program", "gd-procurement", "--service", "new",
        "--kind", "org", "--years", "3",
    )  # fmt: skip
    assert code == 0
    assert "¥ 1,400.00" in out
    assert "USB key (medium) fee" in out and "¥ 200.00" in out
    assert out.splitlines()[-1].split() == ["Total", "¥", "1,400.00"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--program", "nowhere", "--service", "new", "--kind", "org", "--years", "1"],
         "valid: dongguan-hpf, gd-procurement, pingan-procurement, foshan-yzt"),
        (["--program", "dongguan-hpf", "--service", "renewal", "--kind", "org"],
         "'new', 'renew', 'change'"),
        (["--program", "dongguan-hpf", "--service", "new", "--kind", "company", "--years", "1"],
         "'org', 'legal-rep', 'individual'"),
        (["--program", "dongguan-hpf", "--service", "new", "--kind", "org", "--years", "6"],
         "1<=x<=5"),
        (["--program", "dongguan-hpf", "--service", "new", "--kind", "org", "--years", "0"],
         "1<=x<=5"),
        (["--program", "dongguan-hpf", "--service", "new", "--kind", "individual", "--years", "1"],
         "valid kinds: org"),
        (["--program", "foshan-yzt", "--service", "unlock", "--kind", "org"],
         "valid services: new, renew, pickup, refund"),
        (["--program", "foshan-yzt", "--service", "new", "--kind", "org", "--years", "1", "--seal"],
         "no electronic seal"),
        (["--program", "dongguan-hpf", "--service", "new", "--kind", "org"], "give years"),
    ],
)  # fmt: skip
def test_quote_usage_errors_exit_2_with_the_choices(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, out, err = kiosk(capsys, "fees", "quote", *args)
    assert code == 2
    assert needle in err
    assert out == ""
    assert "Traceback" not in err


# --- check id / uscc -----------------------------------------------------------------------


def test_check_id_valid_prints_facts(capsys: pytest.CaptureFixture[str]) -> None:
    number = "44190019580315002" + resident_id_check_char("44190019580315002")
    code, out, _ = kiosk(capsys, "check", "id", number, "--json")
    assert code == 0
    facts = json.loads(out)
    assert facts["birth_date"] == "1958-03-15"
    assert facts["sex"] == "F"
    assert facts["area_code"] == "441900"


def test_check_id_invalid_exits_1_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = kiosk(capsys, "check", "id", "360426199101010072")
    assert code == 1
    assert "check character" in err
    assert out == ""


def test_check_uscc(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kiosk(capsys, "check", "uscc", "91110000600037341L")
    assert code == 0
    assert "600037341" in out
    code, _, err = kiosk(capsys, "check", "uscc", "91110000600O37341L")
    assert code == 1
    assert "'O'" in err


# --- hours ---------------------------------------------------------------------------------


def hours(capsys: pytest.CaptureFixture[str], at: str) -> dict[str, object]:
    code, out, _ = kiosk(capsys, "hours", "--at", at, "--json")
    assert code == 0
    data: dict[str, object] = json.loads(out)
    return data


def test_hours_names_the_holiday(capsys: pytest.CaptureFixture[str]) -> None:
    h = hours(capsys, "2026-10-01T10:00")
    assert (h["open"], h["reason"], h["holiday_zh"]) == (False, "holiday", "国庆节")
    assert h["next_open"] == "2026-10-08T08:30:00+08:00"


def test_hours_make_up_saturday_is_open(capsys: pytest.CaptureFixture[str]) -> None:
    h = hours(capsys, "2026-02-28T10:00")
    assert (h["open"], h["reason"], h["makeup_workday"]) == (True, "makeup_workday_open", True)


def test_hours_lunch_and_weekend(capsys: pytest.CaptureFixture[str]) -> None:
    assert hours(capsys, "2026-11-23T12:15")["reason"] == "lunch"
    assert hours(capsys, "2026-11-22T10:00")["reason"] == "weekend"


def test_hours_naive_time_is_the_counters_zone(capsys: pytest.CaptureFixture[str]) -> None:
    # 10:00 in Shanghai is open; 10:00 UTC is 18:00 in Shanghai, closed.
    assert hours(capsys, "2026-11-23T10:00")["open"] is True
    assert hours(capsys, "2026-11-23T10:00+00:00")["reason"] == "after_hours"


def test_hours_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kiosk(capsys, "hours", "--at", "2026-02-14T09:00")
    assert code == 0
    assert out.startswith("OPEN (makeup workday open for Spring Festival 春节)")


def test_hours_bad_time_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = kiosk(capsys, "hours", "--at", "next tuesday")
    assert code == 2
    assert "ISO date-time" in err


def test_hours_warns_beyond_the_calendars_years(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = kiosk(capsys, "hours", "--at", "2031-03-05T10:00")
    assert code == 0
    assert "warning" in err and "extra_closed_days" in err


# --- the real command, end to end ----------------------------------------------------------


def test_help_lists_the_new_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = kiosk(capsys, "--help")
    assert code == 0
    for name in ("fees", "check", "hours", "config"):
        assert f"  {name} " in out


def test_python_m_kiosk_quote_end_to_end(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    base = [sys.executable, "-m", "kiosk", "--config", CONFIG]
    ok = subprocess.run(
        [*base, "fees", "quote", "--program", "dongguan-hpf", "--service", "new",
         "--kind", "org", "--years", "3", "--seal", "--json"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["total_fen"] == 120000
    bad = subprocess.run(
        [*base, "fees", "quote", "--program", "dongguan-hpf", "--service", "new",
         "--kind", "org", "--years", "9"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
