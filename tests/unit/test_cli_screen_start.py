"""``kiosk`` with global options only starts the screen without click, deciding as click would.

``kiosk.__main__.screen_options`` takes the short way only when click would accept the same
words; everything else goes to click. These tests hold the two to the same answer.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

import kiosk.shell.app
from kiosk.__main__ import main, screen_options
from kiosk.shell.cli import main as cli_main
from kiosk.shell.context import CliContext


def _click_context(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> CliContext | None:
    """What the click command hands the screen for ``argv`` (None: it did not start it)."""
    seen: list[CliContext] = []

    def fake_run_app(ctx: CliContext) -> int:
        seen.append(ctx)
        return 0

    monkeypatch.setattr(kiosk.shell.app, "run_app", fake_run_app)
    cli_main(argv)
    return seen[0] if seen else None


def _cases(tmp: Path) -> list[list[str]]:
    toml = tmp / "kiosk.toml"
    toml.write_text("")
    data = tmp / "data"
    data.mkdir()
    return [
        [],
        ["--training"],
        ["--training", "--data-dir", str(data)],
        [f"--data-dir={tmp / 'new'}", "--training"],
        ["--config", str(toml)],
        [f"--config={toml}", "--data-dir", str(tmp / "new")],
    ]


def test_the_short_way_starts_the_screen_with_what_click_would_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_DATA_DIR", raising=False)
    for argv in _cases(tmp_path):
        short = screen_options(argv)
        assert short is not None, argv
        assert short == _click_context(argv, monkeypatch), argv


def test_environment_variables_count_as_click_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    for argv in (["--training"], ["--data-dir", str(tmp_path / "given")]):
        short = screen_options(argv)
        assert short is not None
        assert short == _click_context(argv, monkeypatch)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["--version"],
        ["hours"],
        ["--training", "doctor"],
        ["--training", "--training"],
        ["--data-dir"],
        ["--data-dir", "--training"],
        ["--data-dir="],
        ["--bogus"],
        ["--config", "/"],  # a directory: click says so
        ["--data-dir", __file__],  # a file: click says so
    ],
)
def test_anything_else_goes_to_click(argv: list[str]) -> None:
    assert screen_options(argv) is None


def test_an_empty_environment_path_goes_to_click(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_DATA_DIR", "")
    assert screen_options(["--training"]) is None


def test_a_bad_settings_file_is_refused_the_same_way(tmp_path: Path) -> None:
    bad = tmp_path / "kiosk.toml"
    bad.write_text("x = 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {bad}: ")
    assert "Traceback" not in proc.stderr


def test_the_collector_paused_for_the_start_up_is_resumed(tmp_path: Path) -> None:
    # In-process: a bad settings file ends the start-up before any frame; gc must be back on.
    bad = tmp_path / "kiosk.toml"
    bad.write_text("x = 1\n")
    assert main(["--config", str(bad)]) == 2
    assert gc.isenabled()


def test_the_app_resumes_the_collector_only_when_the_start_up_paused_it() -> None:
    kiosk.shell.app._resume_gc()  # enabled: left alone, nothing frozen
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        kiosk.shell.app._resume_gc()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
        gc.enable()
