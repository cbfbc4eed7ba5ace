"""Whole visits in a real terminal: ``kiosk --training`` under tmux, keys as a keyboard sends them.

Four visits in one kiosk session, each from the welcome screen to 办理完成, on the real stand-ins
the training mode starts (pcscd + vpcd with the virtual ID card placed from the F9 simulator
panel, SoftHSM2 keys, the loopback hub, the printer stand-in): a new organisation certificate
with a seal on 东莞市住房公积金, then an unlock and a renewal of that key (the renewal's PIN is the
one the unlock printed on its PIN slip, read back from the printer stand-in's capture), then its
cancellation with the reason and the confirmation chosen by the keyboard alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_tmux import START_DEADLINE_S, Tmux, kiosk_in_tmux, shows  # noqa: F401
from tests.functional.test_visit_screens import last_pin

pytestmark = pytest.mark.e2e

STEP_DEADLINE_S = 30.0  # a key written by SoftHSM2 and a certificate from the hub, on a busy box
RESEND_AFTER_S = 4.0  # an unchanged screen this long after a key: the key was lost
USCC = "91441900MA00000010"
# A refused step says why with its code ("…（代码 uscc.checksum）"); the form's label
# 统一社会信用代码 must not count.
REFUSED = re.compile(r"代码 [a-z_-]+\.")
# The seal screen's verdict of a clean pass (not 不合格, not a borderline 合格（临界…）).
PASSED = re.compile(r"(?<!不)合格(?!（临界)")
SEAL_STEP = re.compile(r"▶\d+\.印章")  # the progress line at the seal step
# The welcome screen's tiles in order; the focused one is drawn with heavy borders (┃ name ┃).
TILES = ("新申请", "续期", "变更", "补办", "解锁", "注销", "密钥恢复", "电子印章", "领取", "退费")
FOCUSED_TILE = re.compile(r"┃\s*(\S+)\s*┃")
# What a step shows once its field is drawn (and focused), before anything is typed there.


class Desk:
    """Keys and waits for one kiosk in tmux."""

    def __init__(self, tmux: Tmux, log: Path) -> None:
        self.tmux, self.log = tmux, log

    def see(self, *texts: str, deadline: float = STEP_DEADLINE_S) -> str:
        return self.tmux.wait_for(shows(*texts), deadline, " + ".join(texts), self.log)

    def press(self, *keys: str, then: tuple[str, ...] = ()) -> str:
        if len(keys) == 1 and then:
            return self.press_until(keys[0], shows(*then), " + ".join(then))
        for key in keys:
            self.tmux.send(key)
        return self.see(*then) if then else ""

    def press_until(self, key: str, predicate: Callable[[str], bool], what: str) -> str:
        """Press ``key`` and wait for ``predicate``. A key can be lost on its way through tmux
        (STACK.md): when the screen has not changed at all for a while (no progress, no busy
        indicator, no answer), the key did not arrive, and it is pressed again, as a person
        whose press did not register would (at most twice)."""
        before = self.tmux.capture()
        self.tmux.send(key)
        end = time.monotonic() + STEP_DEADLINE_S
        retry_at, resent = time.monotonic() + RESEND_AFTER_S, 0
        while time.monotonic() < end:
            screen = self.tmux.capture()
            if predicate(screen):
                return screen
            if screen != before:
                retry_at = float("inf")  # something happened: the key arrived
            elif time.monotonic() > retry_at and resent < 2:
                self.tmux.send(key)
                resent += 1
                retry_at = time.monotonic() + RESEND_AFTER_S
            time.sleep(0.1)
        return self.tmux.wait_for(predicate, 0.1, what, self.log)

    def type(self, text: str, shown: str | None = None) -> None:
        """Type ``text`` literally, then wait until the screen shows it (``shown``: what a
        password field shows instead)."""
        self.tmux.run("send-keys", "-t", self.tmux.session, "-l", text)
        self.see(text if shown is None else shown)

    def order(self, order: str) -> None:
        """The order-number step: once its field is in (its hint is drawn after the field
        has the focus), type the earlier visit's number and go on."""
        self.see("请输入原业务单号", "请输入原受理单上的单号")
        self.type(order)
        self.press("Enter")

    def fill(self, text: str) -> None:
        """Type into the focused field and wait until the text shows in it. Under load a burst
        of CJK characters sent right after Enter was seen lost (STACK.md: tmux loses keys sent
        back to back): a person retypes what did not appear, and so does this, once."""
        self.tmux.run("send-keys", "-t", self.tmux.session, "-l", text)
        try:
            self.see(text, deadline=5)
        except AssertionError:
            self.tmux.run("send-keys", "-t", self.tmux.session, "-l", text)
            self.see(text)

    def home(self) -> None:
        """From the done screen back to the welcome screen (its focused 回到首页 button)."""
        self.press("Enter", then=("请选择要办理的业务",))

    def choose_service(self, rights: int, years: int | None = None, total: str = "") -> None:
        """The service tile ``rights`` steps right of 新申请, the first program, the first kind;
        ``years`` typed as a digit on the checklist (有效期, shown for new and renew).

        Right is pressed until the wanted tile is the focused one (drawn with ┃): a Right that
        arrives while the welcome screen still resets its focus, or is lost, is made up for."""
        want = TILES[rights]
        self.see("请选择要办理的业务")
        for _ in range(3 * len(TILES)):
            now = self.focused_tile()
            if now == want:
                break
            self.press("Right")
            end = time.monotonic() + 2.0
            while time.monotonic() < end and self.focused_tile() == now:
                time.sleep(0.05)  # polling the pane for the focus to move (bounded)
        else:
            raise AssertionError(f"the tile {want} never took the focus")
        self.press("Enter", then=("请选择证书用于哪个项目",))
        self.press("Enter", then=("请选择证书类型",))
        self.press("Enter", then=("请准备以下材料",))
        if years is not None:
            self.press(str(years), then=(f"有效期 {years} 年", total))
        self.press("Tab", "Enter")

    def focused_tile(self) -> str | None:
        m = FOCUSED_TILE.search(self.tmux.capture())
        return m.group(1) if m else None

    def identify(self) -> None:
        self.see("▶1.身份核验", "读取身份证")
        self.press("Enter", then=("读卡成功",))
        self.press("Enter", then=("✓1.身份核验",))

    def take_imprint(self) -> None:
        """On the live seal screen: capture (Space) a passing imprint, accept it (A). The
        training video loops back to the empty form: retake (R) if the capture caught that."""
        for _ in range(5):
            self.tmux.wait_for(
                lambda sc: bool(PASSED.search(sc)), STEP_DEADLINE_S, "a passing imprint", self.log
            )
            self.press("Space")
            screen = self.see("已拍摄")
            if PASSED.search(screen):
                self.press("a")
                self.tmux.wait_for(
                    lambda sc: "印模拍摄" not in sc and not SEAL_STEP.search(sc),
                    STEP_DEADLINE_S,
                    "the visit past its seal step",
                    self.log,
                )
                return
            self.press("r", then=("实时画面",))
        raise AssertionError("no passing imprint captured")

    def run_to_done(
        self,
        typed: dict[str, tuple[str, str]] | None = None,
        expect: dict[str, str] | None = None,
    ) -> str:
        """Press Enter at every step the progress line marks (▶) until 办理完成.

        ``typed[step] = (label, text)``: at that step, once its field's ``label`` is on screen
        (the step's body is in and its first field has the focus), type ``text`` (a PIN: wait
        until its dots show) before Enter. ``expect[step]``: text to see at that step first.
        """
        typed, expect = typed or {}, expect or {}
        end = time.monotonic() + 4 * STEP_DEADLINE_S
        while time.monotonic() < end:
            screen = self.tmux.capture()
            if "办理完成" in screen:
                return screen
            if "印模拍摄" in screen:
                self.take_imprint()
                continue
            m = re.search(r"▶(\d+)\.(\S+)", screen)
            assert m, screen
            marker = m.group(0)
            assert not REFUSED.search(screen), screen
            if m.group(2) == "缴费":  # the pay step's methods drawn (a person sees them first)
                self.see("应付金额")
            if m.group(2) in expect:
                self.see(marker, expect[m.group(2)])
            if m.group(2) in typed:
                label, text = typed[m.group(2)]
                self.see(marker, label)
                self.type(text, shown="•" * len(text))
            self.press_until(
                "Enter",
                lambda sc, mk=marker: mk not in sc or "办理完成" in sc or bool(REFUSED.search(sc)),
                f"the step after {marker}",
            )
        raise AssertionError("the visit did not finish")


def _pin_from_last_slip(printer_dir: Path) -> str:
    return last_pin([p.read_bytes() for p in sorted(printer_dir.glob("job-*.bin"))])


def test_four_whole_visits_in_a_real_terminal(
    kiosk_in_tmux: tuple[Tmux, Path],  # noqa: F811 (the fixture, imported above)
) -> None:
    tmux, log = kiosk_in_tmux
    desk = Desk(tmux, log)
    t0 = time.monotonic()
    desk.see("请选择要办理的业务", "培训模式", "F9 模拟器", deadline=START_DEADLINE_S)
    desk.see("读卡器  就绪", "后台  在线", deadline=START_DEADLINE_S)

    # The simulator panel places 张伟's ID card on the virtual reader (vpcd under pcscd).
    desk.press("F9", then=("培训模拟器", "张伟（zhang_wei）", "后台　状态：就绪"))
    desk.see("读卡区：无")
    desk.press("Enter", then=("读卡区：张伟", "已完成：放上身份证"))
    desk.press("Escape", then=("请选择要办理的业务",))

    # 1. New organisation certificate with a seal on 东莞市住房公积金, 3 years (¥ 1,200.00).
    desk.choose_service(0, years=3, total="合计 ¥ 1,200.00")
    desk.identify()
    desk.see("▶2.填写资料", "统一社会信用代码")
    desk.fill(USCC)
    desk.press("Enter")
    desk.fill("东莞市演示科技有限公司")
    desk.press("Enter", then=("1. 企业",))
    desk.press("Enter")  # 单位性质: the highlighted 企业 is kept
    desk.fill("东莞市南城街道元美路8号")
    desk.press("Enter")
    desk.fill("0769-22000000")
    desk.press("Enter")
    screen = desk.run_to_done()
    first = re.search(r"DG-\d{8}-\d{4}", screen)
    assert first, screen
    order = first.group(0)
    assert "✓9.收据" in screen
    desk.home()

    # 2. Unlock that key: the earlier order number first, then the same agent.
    desk.choose_service(4)
    desk.order(order)
    desk.identify()
    # The PIN's state is shown before the key is unlocked.
    screen = desk.run_to_done(expect={"解锁": "PIN 码状态"})
    assert "✓1.身份核验" in screen and "缴费" not in screen  # unlock is free
    desk.home()
    pin = _pin_from_last_slip(log.parent.parent / "run" / "printer")

    # 3. Renew it with the PIN the unlock printed, by 1 year (3 more would pass 5 years).
    desk.choose_service(1, years=1)
    desk.order(order)
    desk.identify()
    # The key's seal is renewed with it: its year is charged (200 + 200), no imprint is taken.
    screen = desk.run_to_done(
        {"制作介质": ("介质 PIN 码", pin)}, expect={"缴费": "应付金额：¥ 400.00"}
    )
    assert "收据" in screen and not re.search(r"\d+\.印章", screen), screen
    desk.home()

    # 4. Cancel it, keyboard only: the reason, the confirmation, then 确认注销.
    desk.choose_service(5)
    desk.order(order)
    desk.identify()
    desk.press("Enter", then=("▶3.注销", "注销不可撤销", "○ 停止使用"))
    desk.press("Enter", then=("◉ 停止使用",))  # the first reason has the focus
    desk.press("Enter", then=("☑ 我已知晓注销不可撤销",))  # then the confirmation
    screen = desk.press("Enter", then=("办理完成", "证书已注销"))  # then 确认注销
    assert "停止使用（单位注销或不再需要）" in screen
    assert time.monotonic() - t0 < 130
