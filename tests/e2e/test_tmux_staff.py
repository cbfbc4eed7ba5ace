"""Staff mode in a real terminal: `kiosk --training` in tmux, its practice clerk signs in,
opens the day close, and signs out again."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.shell.staff_desk import TRAINING_PIN
from tests.e2e.test_tmux import KEY_DEADLINE_S, START_DEADLINE_S, Tmux, kiosk_in_tmux, shows

pytestmark = pytest.mark.e2e
__all__ = ["kiosk_in_tmux"]  # the fixture, shared with the shell's real-terminal test


def test_clerk_signs_in_and_opens_the_day_close(kiosk_in_tmux: tuple[Tmux, Path]) -> None:
    tmux, log = kiosk_in_tmux
    tmux.wait_for(shows("请选择要办理的业务", "培训模式"), START_DEADLINE_S, "the welcome", log)
    tmux.send("F12")
    tmux.wait_for(shows("工作人员登录", "工号"), KEY_DEADLINE_S, "the staff sign-in", log)
    for key in ("3", "0", "0", "1", "Enter", *TRAINING_PIN, "Enter"):
        tmux.send(key)
    tmux.wait_for(
        shows("工作人员：练习日结员（日结员）", "签退", "秒无操作将自动签退"),
        KEY_DEADLINE_S,
        "staff mode for the practice clerk",
        log,
    )
    tmux.send("Enter")  # the first button: the day close
    tmux.wait_for(
        shows("日结 20", "应收（元）", "刷卡", "微信支付", "支付宝", "转账", "合计"),
        KEY_DEADLINE_S,
        "the day-close screen",
        log,
    )
    tmux.send("Escape")
    tmux.wait_for(shows("签退"), KEY_DEADLINE_S, "staff mode again", log)
    tmux.send("Escape")  # leaving staff mode signs out
    tmux.wait_for(shows("请选择要办理的业务"), KEY_DEADLINE_S, "the welcome again", log)
