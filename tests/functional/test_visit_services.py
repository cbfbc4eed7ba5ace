"""The services on an existing key, on screen through the Pilot, from the welcome tile to the end.

Training mode on the real stand-ins (pcscd + vpcd ID card, SoftHSM2 keys, the loopback hub, the
printer stand-in), like tests/functional/test_visit_screens.py, whose driver this reuses. Each
visit is checked against the domain: the key's state and transitions, the certificate kept or
renewed (serial, notAfter), the printed slips and receipts, the refund row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from hardware.sim.escpos_decode import decode
from kiosk.domain.fees import format_fen
from kiosk.shell.app import KioskApp
from screens.idcard import IdCardScreen
from screens.visit import VisitScreen
from screens.widgets.text import LangButton, LangText
from tests.functional import test_visit_screens as screen_tests
from tests.functional.test_visit_screens import (
    ADDRESS,
    SIZE,
    Counter,
    error_of,
    last_pin,
    new_org_with_seal,
    step_of,
    until,
    visit,
)

# The training rig of this module (one per module, on the session's pcscd) and its app.
training = screen_tests.training
training_app = screen_tests.training_app

PROGRAM = "dongguan-hpf"
NEW_NAME = "东莞市演示科技（变更）有限公司"


def text_of(app: KioskApp, selector: str) -> str:
    found = app.screen.query(selector)
    return found.first(LangText).shown if found else ""


def db_of(app: KioskApp) -> Any:
    return app.services.visits.resources().store.db


def key_row(app: KioskApp, serial: str) -> dict[str, Any]:
    cur = db_of(app).execute("SELECT * FROM keys WHERE serial = ?", [serial])
    return dict(zip([c[0] for c in cur.description], cur.fetchone(), strict=True))


def transitions(app: KioskApp, serial: str) -> list[tuple[str, str]]:
    rows = db_of(app).execute(
        "SELECT to_state, reason FROM key_transitions WHERE serial = ? ORDER BY id", [serial]
    )
    return [(r[0], r[1]) for r in rows.fetchall()]


def state_of(app: KioskApp, order: str) -> dict[str, Any]:
    return dict(app.services.visits.resume(order).state())


async def tap(pilot: Pilot, selector: str) -> None:
    """Touch a widget once it is laid out on screen (a click on a screen still being laid out
    lands nowhere, on a busy machine)."""
    app = pilot.app

    def laid_out() -> bool:
        found = app.screen.query(selector)
        return bool(found) and found.first().region.area > 0

    await until(pilot, laid_out, f"{selector} on screen")
    await pilot.click(selector)


class Desk(Counter):
    """The shared driver, touching each tile only once it is on screen."""

    async def choose(self, service: str, program: str, kind: str) -> None:
        app, pilot = self.app, self.pilot
        await until(pilot, lambda: len(app.screen_stack) == 1, "welcome")
        await tap(pilot, f"#service-{service}")
        await until(pilot, lambda: app.screen.name == "program", "program screen")
        await tap(pilot, f"#program-{program}")
        await until(pilot, lambda: app.screen.name == "kind", "kind screen")
        await tap(pilot, f"#kind-{kind}")
        await until(pilot, lambda: app.screen.name == "checklist", "checklist")
        await tap(pilot, "#identify")
        await until(pilot, lambda: isinstance(app.screen, VisitScreen), "visit")

    async def place_card(self, person: str = "zhang_wei") -> None:
        await self.pilot.press("f9")
        await until(self.pilot, lambda: self.app.screen.name == "simulator", "panel")
        await tap(self.pilot, "#sim-card-place")
        rig = self.app.services.training_rig
        await until(self.pilot, lambda: rig.card_person == person, "card placed")
        await self.pilot.press("escape")

    async def start(self, service: str, program: str, kind: str, order: str | None = None) -> None:
        await self.choose(service, program, kind)
        if order is not None:
            await until(self.pilot, lambda: bool(self.app.screen.query("#visit-order")), "order")
            self.app.screen.query_one("#visit-order", Input).value = order
            await tap(self.pilot, "#visit-next")
        await until(self.pilot, lambda: step_of(self.app) == "identify", "identify step")


async def open_with_lookup(c: Desk, service: str, *, by: str, pick: str) -> None:
    """Start ``service`` without the order number: find the earlier visit by the agent's ID
    card (``by="card"``) or by the key in the reader (``by="key"``), then pick ``pick``."""
    app, pilot = c.app, c.pilot
    await c.choose(service, PROGRAM, "org")
    await until(pilot, lambda: bool(app.screen.query("#svc-find-card")), "the order step")
    if by == "card":
        await tap(pilot, "#svc-find-card")
        await until(pilot, lambda: isinstance(app.screen, IdCardScreen), "card screen")
        await until(
            pilot, lambda: not app.screen.query_one("#idcard-confirm").disabled, "card read"
        )
        await tap(pilot, "#idcard-confirm")
    else:
        await tap(pilot, "#svc-find-key")
    await until(pilot, lambda: bool(app.screen.query(f"#svc-found-{pick}")), f"{pick} found")
    app.screen.query_one(f"#svc-found-{pick}").scroll_visible(animate=False)
    await pilot.pause()
    await tap(pilot, f"#svc-found-{pick}")
    await until(
        pilot,
        lambda: step_of(app) == "identify" or bool(error_of(app)),
        f"identify step ({[b.id for b in app.screen.query('.svc-found')]})",
    )
    assert not error_of(app), error_of(app)
    if by == "card":  # the card was read already: the agent is confirmed with one press
        await until(pilot, lambda: "张伟" in text_of(app, "#visit-agent"), "the agent read")
        await tap(pilot, "#visit-next")
        await until(pilot, lambda: step_of(app) not in (None, "identify"), "identified")
    else:
        await c.identify()


async def at_keys(c: Desk) -> None:
    """Every step before the key step (materials; the seal's imprint, fees and payment)."""
    while (step := step_of(c.app)) != "keys":
        if step is None:
            await c.pilot.pause(0.05)
            continue
        if step == "seal":  # the live seal screen: capture a passing imprint and accept it
            await c.seal()
            continue
        await c.go(step)


async def press_next(c: Desk, *, refused: bool | None = False) -> None:
    """Press the key step's button; it goes on, or (``refused``) it is refused in words
    (``None``: either)."""
    await tap(c.pilot, "#visit-next")
    await until(
        c.pilot,
        lambda: bool(error_of(c.app)) or step_of(c.app) not in (None, "keys"),
        "the key step answered",
        deadline=60,
    )
    if refused is not None:
        assert bool(error_of(c.app)) is refused, error_of(c.app)


async def test_change_seal_replace_recovery_and_cancel_on_screen(training_app: KioskApp) -> None:
    app = training_app
    rig = app.services.training_rig
    sim = app.services.printer_sim
    async with app.run_test(size=SIZE) as pilot:
        c = Desk(pilot, app)
        await c.ready()
        await c.place_card()
        first = await new_org_with_seal(c)
        pin = last_pin(sim.jobs())
        before = state_of(app, first)
        k1, cert0 = before["key"]["serial"], before["certificate"]

        # 变更: the changed unit name and the PIN; a new certificate, the same notAfter.
        await c.start("change", PROGRAM, "org", order=first)
        await c.identify()
        assert visit(app).visit.steps == ["identify", "form", "materials", "keys", "handover"]
        await c.go("form", **{"unit-name": NEW_NAME})
        await c.go("materials")
        await until(pilot, lambda: "介质 " + k1 in text_of(app, "#svc-info"), "the key shown")
        assert NEW_NAME in text_of(app, "#svc-change-after")
        await c.go("keys", **{"key-pin": pin})
        await c.go("handover")
        await until(pilot, lambda: step_of(app) == "done", "change done")
        await until(pilot, lambda: "证书序列号" in text_of(app, "#svc-done"), "the result")
        changed = await c.done()
        st = state_of(app, changed)
        assert st["key"] == {"serial": k1, "state": "active"}
        assert st["certificate"]["serial"] != cert0["serial"]
        assert st["certificate"]["not_after"] == cert0["not_after"]
        assert NEW_NAME in st["certificate"]["subject"]

        # 电子印章 on the existing certificate, the visit found by the key in the reader.
        seal0 = key_row(app, k1)["seal_der"]
        await asyncio.to_thread(rig.sim_insert_key, k1)
        await open_with_lookup(c, "seal", by="key", pick=changed)
        assert visit(app).visit.steps == [
            "identify",
            "materials",
            "seal",
            "quote",
            "pay",
            "keys",
            "handover",
            "receipt",
        ]
        await at_keys(c)
        await until(pilot, lambda: "含电子印章" in text_of(app, "#svc-info"), "the key shown")
        await c.go("keys", **{"key-pin": pin})
        sealed = await c.finish()
        st = state_of(app, sealed)
        row = key_row(app, k1)
        assert row["seal_der"] and row["seal_der"] != seal0  # the seal was changed
        assert st["certificate"]["serial"] == row["cert_serial"]  # on the same certificate
        assert st["payment"]["state"] and st["receipt"]["job"]
        assert any(sealed in "\n".join(decode(j).lines) for j in sim.jobs())

        # 补办, damaged: found by the agent's ID card; a new key, same notAfter, old key retired.
        await open_with_lookup(c, "replace", by="card", pick=sealed)
        await at_keys(c)
        await until(pilot, lambda: "介质 " + k1 in text_of(app, "#svc-info"), "the old key")
        await press_next(c, refused=True)  # lost or damaged not chosen yet: asked in words
        assert "遗失" in error_of(app) and step_of(app) == "keys"
        await tap(pilot, "#choice-condition-damaged")
        assert "交给工作人员" in text_of(app, "#svc-condition-note")
        await press_next(c)
        replaced = await c.finish()
        st = state_of(app, replaced)
        k2 = st["key"]["serial"]
        assert k2 != k1 and st["key"]["state"] == "active"
        assert st["certificate"]["not_after"] == cert0["not_after"]  # replace keeps notAfter
        assert [s for s, _ in transitions(app, k1)][-2:] == ["damaged", "terminated"]
        assert last_pin(sim.jobs()) != pin  # the new key's PIN slip

        # 补办, lost.
        await c.start("replace", PROGRAM, "org", order=replaced)
        await c.identify()
        await at_keys(c)
        await tap(pilot, "#choice-condition-lost")
        assert "密钥泄露" in text_of(app, "#svc-condition-note")
        await press_next(c)
        lost = await c.finish()
        k3 = state_of(app, lost)["key"]["serial"]
        assert k3 not in (k1, k2)
        assert [s for s, _ in transitions(app, k2)][-2:] == ["lost", "terminated"]

        # 密钥恢复: the escrowed encryption key back onto the key (with its PIN); where the
        # engine refuses (no escrow at a counter), the words and the next step.
        pin3 = last_pin(sim.jobs())
        await c.start("key-recovery", PROGRAM, "org", order=lost)
        await c.identify()
        await at_keys(c)
        await until(pilot, lambda: "介质 " + k3 in text_of(app, "#svc-info"), "the key shown")
        assert "签名密钥任何情况下都不恢复" in text_of(app, "#svc-recovery-hint")
        app.screen.query_one("#key-pin", Input).value = pin3
        await press_next(c, refused=None)
        if error_of(app):
            assert "密钥托管" in error_of(app) and "服务热线" in error_of(app)
            assert state_of(app, visit(app).visit.order)["next_step"] == "keys"
            await pilot.press("f2")
            assert "key escrow" in error_of(app) and "hotline" in error_of(app)
            await pilot.press("f2")
            app.go_home()
            await until(pilot, lambda: len(app.screen_stack) == 1, "home")
        else:
            await until(pilot, lambda: step_of(app) == "done", "recovery done")
            await until(
                pilot,
                lambda: "加密密钥已恢复到介质 " + k3 in text_of(app, "#svc-done"),
                "the result",
            )
            recovered = await c.done()
            st = state_of(app, recovered)
            enc = st["recovered"]["encryption_serial"]
            assert st["recovered"]["key"] == "encryption" and enc
            assert st["key"] == {"serial": k3, "state": "active"}
            assert enc != st["certificate"]["serial"]  # never the signing certificate

        # 注销: the reason and the confirmation first; irreversible, said so.
        await c.start("cancel", PROGRAM, "org", order=lost)
        await c.identify()
        assert visit(app).visit.steps == ["identify", "materials", "keys"]
        await at_keys(c)
        await until(pilot, lambda: "不可撤销" in text_of(app, "#svc-cancel-warning"), "warning")
        await press_next(c, refused=True)
        assert "注销原因" in error_of(app)
        await tap(pilot, "#choice-reason-affiliationChanged")
        await press_next(c, refused=True)
        assert "我已知晓" in error_of(app)
        chosen = app.screen.query_one("#choice-reason-affiliationChanged", LangButton)
        assert str(chosen.label).startswith("◉")  # the refusal kept the answer
        assert key_row(app, k3)["state"] == "active"  # nothing happened yet
        await tap(pilot, "#svc-confirm")
        await press_next(c)
        await until(pilot, lambda: step_of(app) == "done", "cancel done")
        await until(
            pilot, lambda: "单位信息或隶属关系变更" in text_of(app, "#svc-done"), "the result"
        )
        cancelled = await c.done()
        assert state_of(app, cancelled)["key"]["state"] == "terminated"
        assert transitions(app, k3)[-1] == ("terminated", "cancelled (affiliationChanged)")


async def test_refund_refused_outside_the_window_then_granted_inside(
    training_app: KioskApp,
) -> None:
    app = training_app
    async with app.run_test(size=SIZE) as pilot:
        c = Desk(pilot, app)
        await c.ready()
        res = await asyncio.to_thread(app.services.visits.resources)
        await c.place_card()
        paid = await new_org_with_seal(c)
        total = state_of(app, paid)["total_fen"]
        assert total > 0

        # 20 days after the hand-over (the engine's clock seam): outside the 14-day rule.
        real_now = res.now
        res.now = lambda: real_now() + dt.timedelta(days=20)
        try:
            await c.start("refund", PROGRAM, "org", order=paid)
            await c.identify()
            assert visit(app).visit.steps == ["identify", "materials", "keys"]
            await at_keys(c)
            await until(pilot, lambda: "不予退费" in text_of(app, "#svc-info"), "the decision")
            assert "不符合退费规则" in text_of(app, "#svc-info")
            await press_next(c, refused=True)
            assert "不符合退费规则" in error_of(app) and "服务热线" in error_of(app)
            order = visit(app).visit.order
            assert state_of(app, order)["refund"] is None
        finally:
            res.now = real_now
        app.go_home()
        await until(pilot, lambda: len(app.screen_stack) == 1, "home")

        # The same day as the hand-over: inside the rule; the payment goes back in full.
        await c.start("refund", PROGRAM, "org", order=paid)
        await c.identify()
        await at_keys(c)
        await until(pilot, lambda: "可以退费" in text_of(app, "#svc-info"), "the decision")
        assert f"可退金额：{format_fen(total)}" in text_of(app, "#svc-info")
        await press_next(c)
        await until(pilot, lambda: step_of(app) == "done", "refund done")
        await until(pilot, lambda: "已退费" in text_of(app, "#svc-done"), "the result")
        refunded = await c.done()
        st = state_of(app, refunded)
        assert st["refund"]["amount_fen"] == total
        rows = (
            db_of(app)
            .execute(
                "SELECT r.amount_fen, r.state FROM refunds r JOIN payments p ON p.id = r.payment_id"
                " JOIN visits v ON v.id = p.visit_id WHERE v.order_no = ?",
                [paid],
            )
            .fetchall()
        )
        assert rows == [(total, "done")], rows


async def test_pickup_found_by_the_agents_card_after_an_offline_new(
    training_app: KioskApp,
) -> None:
    app = training_app
    rig = app.services.training_rig
    async with app.run_test(size=SIZE) as pilot:
        c = Desk(pilot, app)
        await c.ready()
        await c.place_card()
        await asyncio.to_thread(rig.sim_network, False)
        await c.start("new", PROGRAM, "org")
        await c.identify()
        await c.go(
            "form",
            **{
                "unit-uscc": "91441900MA0000005C",
                "unit-name": "东莞市领取测试有限公司",
                "unit-address": ADDRESS,
            },
        )
        await at_keys(c)
        await tap(pilot, "#visit-next")
        await until(pilot, lambda: bool(error_of(app)), "queued offline", deadline=60)
        assert "证书申请已排队" in error_of(app), error_of(app)
        order = visit(app).visit.order
        app.go_home()
        await until(pilot, lambda: len(app.screen_stack) == 1, "home")
        await asyncio.to_thread(rig.sim_network, True)

        # The agent lost the receipt: the waiting key is found by the ID card.
        await open_with_lookup(c, "pickup", by="card", pick=order)
        await at_keys(c)
        await until(pilot, lambda: order in text_of(app, "#svc-info"), "the order to collect")
        await press_next(c)
        picked = await c.finish()
        st = state_of(app, picked)
        earlier = state_of(app, order)
        assert st["key"]["serial"] == earlier["key"]["serial"]
        assert earlier["certificate"] and st["certificate"] == earlier["certificate"]
        data = json.loads(
            db_of(app).execute("SELECT data FROM visits WHERE order_no = ?", [picked]).fetchone()[0]
        )
        assert data["handover"]["serial"] == st["key"]["serial"]


async def test_the_order_step_says_what_it_cannot_find_and_idle_clears_the_agent(
    training: tuple[Any, Any],
) -> None:
    ctx, services = training
    app = KioskApp(ctx.settings(), services)
    async with app.run_test(size=SIZE) as pilot:
        c = Desk(pilot, app)
        await c.ready()
        await c.place_card()
        await c.choose("unlock", PROGRAM, "org")
        await until(pilot, lambda: bool(app.screen.query("#svc-find-key")), "the order step")
        # No key in the reader: said in words, with what to do.
        await asyncio.to_thread(services.training_rig.sim_pull_keys)
        await tap(pilot, "#svc-find-key")
        await until(pilot, lambda: bool(error_of(app)), "no key")
        assert "插入原介质" in error_of(app)
        assert isinstance(app.screen, VisitScreen) and app.screen.flow is None
        # A mistyped order number: said in words.
        app.screen.query_one("#visit-order", Input).value = "DG-20000101-0001"
        await tap(pilot, "#visit-next")
        await until(pilot, lambda: "单号" in error_of(app), "unknown order")
        # The agent's card: their visits are listed (or, with none, said so).
        await tap(pilot, "#svc-find-card")
        await until(pilot, lambda: isinstance(app.screen, IdCardScreen), "card screen")
        await until(
            pilot, lambda: not app.screen.query_one("#idcard-confirm").disabled, "card read"
        )
        await tap(pilot, "#idcard-confirm")
        await until(
            pilot,
            lambda: bool(app.screen.query(".svc-found")) or "没有找到" in error_of(app),
            "the agent's visits",
        )
        assert app.agent is not None
        # Nobody touches the kiosk: the agent's data leaves the screen (a short timeout from now
        # on; the app checks every second).
        app.idle_timeout_s = 1.0
        await until(pilot, lambda: len(app.screen_stack) == 1, "idle: back home", deadline=10)
        assert app.agent is None
