"""`kiosk seal preview` in a real terminal (tmux): live check on a video, capture, accept."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hardware.sim.seal_samples import VIDEO_PX_PER_MM, training_video

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by make test"),
]
KIOSK = Path(sys.executable).with_name("kiosk")


def passed(screen: str) -> bool:
    return "合格" in screen and "不合格" not in screen and "临界" not in screen


class Tmux:
    def __init__(self, tmp: Path):
        self.socket = f"seal-{uuid.uuid4().hex[:8]}"
        self.tmp = tmp

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True
        ).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "main")

    def wait_for(self, cond, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if cond(text):
                return text
            time.sleep(0.1)  # polling the pane until the deadline
        raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")


def test_preview_checks_captures_and_accepts_in_a_real_terminal(tmp_path):
    out = tmp_path / "seal.png"
    done = tmp_path / "done.txt"
    cmd = (
        f"{KIOSK} seal preview --source {training_video()} --px-per-mm {VIDEO_PX_PER_MM} "
        f"-o {out} > {tmp_path / 'stdout.txt'}; echo $? > {done}"
    )
    t = Tmux(tmp_path)
    t.run("new-session", "-d", "-s", "main", "-x", "150", "-y", "44", cmd)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, t.screen()
            t.wait_for(lambda s: passed(s), 30, "a live pass")
            t.run("send-keys", "-t", "main", "Space")
            text = t.wait_for(lambda s: "已拍摄" in s, 10, "the capture")
            if passed(text):
                break
            t.run("send-keys", "-t", "main", "r")  # caught a frame of the empty form: retake
            t.wait_for(lambda s: "实时画面" in s, 10, "live again")
        assert "直径：" in text and "中心五角星：有" in text
        time.sleep(0.1)  # tmux can drop keys sent back to back (STACK.md)
        t.run("send-keys", "-t", "main", "a")
        deadline = time.monotonic() + 20
        while not done.exists():
            assert time.monotonic() < deadline, t.screen()
            time.sleep(0.1)
    finally:
        subprocess.run(["tmux", "-L", t.socket, "kill-server"], capture_output=True)
    assert done.read_text().strip() == "0"
    result = json.loads((tmp_path / "stdout.txt").read_text().splitlines()[0])
    assert result["verdict"] == "pass" and result["count"] == 1
    assert out.exists() and json.loads(out.with_suffix(".json").read_text())["dpi"] == 300
