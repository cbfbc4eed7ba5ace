"""kiosk.toml: every failure mode exits 2 naming the file and the key, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, time
from pathlib import Path

import pytest

from kiosk.config import default_config_text, discover_config, load_settings, parse_settings
from kiosk.errors import ConfigError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BAD = sorted((HERE / "bad_configs").glob("*.toml"))
SHIPPED = REPO / "kiosk" / "kiosk.toml"


def run_kiosk(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=60,
    )


def expected_key(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: KEY'"
    return first.removeprefix("# expect: ")


def test_there_is_a_fixture_per_failure_mode() -> None:
    assert len(BAD) >= 20


@pytest.fixture(scope="module")
def bad_config_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[Path, subprocess.CompletedProcess[str]]:
    """Each bad file through the real command, a few processes at a time (each one is a cold
    interpreter start; run one by one they dominate the suite's time)."""
    cwd = tmp_path_factory.mktemp("cwd")
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = pool.map(lambda p: run_kiosk("--config", str(p), "config", "check", cwd=cwd), BAD)
        return dict(zip(BAD, runs, strict=True))


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_config_exits_2_naming_file_and_key(
    path: Path, bad_config_runs: dict[Path, subprocess.CompletedProcess[str]]
) -> None:
    proc = bad_config_runs[path]
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert path.name in proc.stderr
    assert expected_key(path) in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.count("\n") == 1, "one line on stderr"


def test_shipped_config_is_valid(tmp_path: Path) -> None:
    proc = run_kiosk("--config", str(SHIPPED), "config", "check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "dongguan-hpf, gd-procurement, pingan-procurement, foshan-yzt" in proc.stdout


def _good_config(tmp_path: Path, counter_id: str) -> Path:
    text = default_config_text().replace('id = "DG"', f'id = "{counter_id}"', 1)
    path = tmp_path / f"{counter_id.lower()}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_kiosk_config_environment_variable_selects_the_file(tmp_path: Path) -> None:
    chosen = _good_config(tmp_path, "TST")
    proc = run_kiosk("config", "check", cwd=tmp_path, env={"KIOSK_CONFIG": str(chosen)})
    assert proc.returncode == 0, proc.stderr
    assert f"{chosen}: OK" in proc.stdout
    assert "counter  TST" in proc.stdout


def test_config_option_wins_over_the_environment(tmp_path: Path) -> None:
    env_file = _good_config(tmp_path, "ENV")
    opt_file = _good_config(tmp_path, "OPT")
    proc = run_kiosk(
        "--config",
        str(opt_file),
        "config",
        "check",
        cwd=tmp_path,
        env={"KIOSK_CONFIG": str(env_file)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "counter  OPT" in proc.stdout


def test_kiosk_config_naming_a_missing_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    proc = run_kiosk("config", "check", cwd=tmp_path, env={"KIOSK_CONFIG": str(missing)})
    assert proc.returncode == 2
    assert str(missing) in proc.stderr and "no such config file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    local = _good_config(tmp_path, "LOC")
    local.rename(tmp_path / "kiosk.toml")
    assert discover_config() == Path("kiosk.toml")
    env_file = _good_config(tmp_path, "ENV")
    monkeypatch.setenv("KIOSK_CONFIG", str(env_file))
    assert discover_config() == env_file
    assert load_settings().counter.id == "ENV"
    explicit = _good_config(tmp_path, "EXP")
    assert discover_config(explicit) == explicit


def test_bad_file_raises_config_error_in_process() -> None:
    path = HERE / "bad_configs" / "negative_fee.toml"
    with pytest.raises(ConfigError) as e:
        load_settings(path)
    assert "renew_per_year" in e.value.message


def test_hours_rules_from_the_shipped_counter() -> None:
    counter = parse_settings(default_config_text(), "<embedded>").counter
    rules = counter.to_hours_rules()
    assert rules.weekly[0] == ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
    assert rules.weekly[5] == () and rules.weekly[6] == ()
    assert rules.workday_periods == rules.weekly[0]
    assert rules.use_chinese_calendar


def test_hours_rules_carry_the_overrides() -> None:
    text = (
        default_config_text()
        .replace("extra_closed_days = []", "extra_closed_days = [2026-12-24]")
        .replace('holiday_calendar = "chinese-calendar"', 'holiday_calendar = "none"')
    )
    rules = parse_settings(text, "<test>").counter.to_hours_rules()
    assert rules.extra_closed == frozenset({date(2026, 12, 24)})
    assert not rules.use_chinese_calendar


def test_program_form_settings_reach_the_domain() -> None:
    settings = parse_settings(default_config_text(), "<embedded>")
    gp = settings.program("gd-procurement")
    assert gp.seal_form == "combined"
    assert settings.program("pingan-procurement").form_copies == 1
