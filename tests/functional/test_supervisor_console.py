"""The supervisor console (Pilot) on a store filled by real visits: sign-in for supervisors only
(audited), today's visits, the unfinished one's failure in words, money by method, keys, sync
and the devices as the kiosk recorded them; it changes no record."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, Input

from data.store import Store
from kiosk.config import Settings
from kiosk.console.status_log import StatusLog
from kiosk.console.views import SIGN_IN, SIGN_OUT, ConsoleDesk
from kiosk.dayclose.close import DayCloseRules, day_report
from kiosk.domain import clock as dclock
from kiosk.shell.console_app import SupervisorConsole
from kiosk.staff import audit
from kiosk.status import CounterState, Device, DeviceState, DeviceStatus, HubStatus, KioskStatus
from screens.dayclose import fen_to_yuan
from screens.supervisor.console import ConsoleScreen
from screens.supervisor.signin import ConsoleSignInScreen
from screens.widgets.text import LangText
from tests.functional.support import wait_for
from tests.support.console_store import OPERATOR, SUPERVISOR, Visits, add_staff, populate
from tests.unit.staff_support import FAST_POLICY, FakeClock

SIZE = (120, 36)
BUSINESS_TABLES = ("visits", "visit_steps", "payments", "keys", "key_jobs", "print_jobs")


@pytest.fixture(scope="module")
def visits(tmp_path_factory: pytest.TempPathFactory) -> Visits:
    v = populate(tmp_path_factory.mktemp("console") / "training")
    add_staff(v.database, FAST_POLICY)
    return v


@pytest.fixture
def desk(visits: Visits, settings: Settings):
    d = ConsoleDesk(visits.database, settings, training=True, policy=FAST_POLICY)
    yield d
    d.close()


def _table(app: SupervisorConsole, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _audit(db: Path, action: str) -> list[audit.AuditEntry]:
    with Store.open(db) as store:
        return [e for e in audit.entries(store.db) if e.action == action]


def _fingerprint(db: Path) -> str:
    h = hashlib.sha256()
    with Store.open(db) as store:
        for table in BUSINESS_TABLES:
            for row in store.db.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                h.update(json.dumps(row, default=str).encode())
    return h.hexdigest()


async def _sign_in(app: SupervisorConsole, pilot, staff_no: str, pin: str) -> None:
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ConsoleSignInScreen) and bool(app.screen.query("#sign-in")),
    )
    app.screen.query_one("#staff-number", Input).value = staff_no
    app.screen.query_one("#staff-pin", Input).value = pin
    # press() rather than a click: a click on a screen not laid out yet lands nowhere
    app.screen.query_one("#sign-in", Button).press()


def _message(app: SupervisorConsole) -> str:
    return app.screen.query_one("#staff-message", LangText).shown


def _signed_out(app: SupervisorConsole) -> bool:
    return isinstance(app.screen, ConsoleSignInScreen) and bool(app.screen.query("#staff-message"))


async def test_a_supervisor_sees_todays_visits_money_keys_and_failures(
    visits: Visits, desk: ConsoleDesk, settings: Settings
) -> None:
    before = _fingerprint(visits.database)
    app = SupervisorConsole(settings, desk, training=True, refresh_s=60)
    async with app.run_test(size=SIZE) as pilot:
        assert "主管登录" in app.screen.query_one("#heading", LangText).shown
        await _sign_in(app, pilot, SUPERVISOR[0], SUPERVISOR[2])
        await wait_for(pilot, lambda: getattr(app.screen, "reads", 0) >= 1, 10)
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        assert "李强" in screen.query_one("#console-who", LangText).shown

        rows = {r[0]: r for r in _table(app, "visits-table")}
        assert set(rows) == {visits.done, visits.failed, visits.open}
        done = rows[visits.done]
        # order, opened, service, program, kind, state, step, amount, payment, training
        assert done[2] == "新申请" and done[4] == "机构证书" and done[5] == "已完成"
        assert done[6] == "完成"
        assert done[7] == fen_to_yuan(visits.done_fen) and visits.done_fen > 0
        assert done[8] == "刷卡 已付" and done[9] == "是"
        assert rows[visits.failed][5] == "失败" and "缴费" in rows[visits.failed][6]
        assert rows[visits.open][5] == "进行中" and "填写资料" in rows[visits.open][6]
        opened = dclock.format_local(datetime.now(UTC), settings.counter.timezone)[-5:-3]
        assert done[1].startswith(opened), "opening times are shown in Asia/Shanghai"

        await pilot.press("2")
        unfinished = {r[0]: r for r in _table(app, "unfinished-table")}
        assert set(unfinished) == {visits.failed, visits.open}
        table = screen.query_one("#unfinished-table", DataTable)
        table.move_cursor(row=list(unfinished).index(visits.failed))
        detail = screen.query_one("#unfinished-detail", LangText)
        await wait_for(pilot, lambda: visits.failed in detail.shown)
        assert "缴费未完成" in detail.shown and "visit.payment_missing" in detail.shown

        await pilot.press("3")
        report = day_report(
            Store.open(visits.database), DayCloseRules.from_settings(settings),
            dclock.local_today(datetime.now(UTC)), training=True,
        )  # fmt: skip
        money = {r[0]: r for r in _table(app, "money-table")}
        card = next(m for m in report["methods"] if m["method"] == "card")
        assert card["paid_fen"] == visits.done_fen
        assert money["刷卡"][1] == "1" and money["刷卡"][2] == fen_to_yuan(visits.done_fen)
        assert money["合计"][6] == fen_to_yuan(report["totals"]["expected_fen"])
        assert "未日结" in screen.query_one("#money-report", LangText).shown

        await pilot.press("4")
        keys = {r[0]: r[1] for r in _table(app, "keys-table")}
        assert keys["介质状态：active"] == "1", keys

        await pilot.press("5")
        assert "尚未记录" in screen.query_one("#devices-at", LangText).shown
        assert "待上传" in screen.query_one("#sync-line", LangText).shown

        await pilot.press("f2")
        await wait_for(pilot, lambda: "Supervisor" in screen.query_one("#console-who").shown)
        assert _table(app, "devices-table") == []
        await pilot.press("1")
        assert {r[5] for r in _table(app, "visits-table")} == {"done", "failed", "open"}
    desk.close()  # as run_console does when the program ends (the browser closed)
    assert _fingerprint(visits.database) == before, "the console changed a business record"
    signed = [e for e in _audit(visits.database, SIGN_IN) if e.outcome == "done"]
    assert signed and signed[-1].staff_no == SUPERVISOR[0]
    assert json.loads(signed[-1].after or "{}")["via"] == "terminal"
    out = _audit(visits.database, SIGN_OUT)
    assert out and out[-1].reason_code == "closed", "leaving the program ends the session"


async def test_a_wrong_pin_is_refused_and_audited(
    visits: Visits, desk: ConsoleDesk, settings: Settings
) -> None:
    n = len(_audit(visits.database, SIGN_IN))
    app = SupervisorConsole(settings, desk, training=True, refresh_s=60)
    async with app.run_test(size=SIZE) as pilot:
        await _sign_in(app, pilot, SUPERVISOR[0], "000000")
        await wait_for(pilot, lambda: "密码错误" in _message(app), 10)
        assert isinstance(app.screen, ConsoleSignInScreen)
        assert app.screen.query_one("#staff-pin", Input).value == ""
        # and then the right PIN gets in
        await _sign_in(app, pilot, SUPERVISOR[0], SUPERVISOR[2])
        await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen), 10)
    rows = _audit(visits.database, SIGN_IN)[n:]
    assert [(r.staff_no, r.outcome, r.reason_code) for r in rows[:1]] == [
        (SUPERVISOR[0], "refused", "wrong_pin")
    ]
    assert rows[1].outcome == "done"


async def test_an_operator_is_refused_and_audited(
    visits: Visits, desk: ConsoleDesk, settings: Settings
) -> None:
    n = len(_audit(visits.database, SIGN_IN))
    app = SupervisorConsole(settings, desk, training=True, refresh_s=60)
    async with app.run_test(size=SIZE) as pilot:
        await _sign_in(app, pilot, OPERATOR[0], OPERATOR[2])
        await wait_for(pilot, lambda: "无此操作权限" in _message(app), 10)
        assert isinstance(app.screen, ConsoleSignInScreen)
        with pytest.raises(Exception, match="sign in as a supervisor"):
            desk.snapshot()  # nothing to read without a supervisor's session
    rows = _audit(visits.database, SIGN_IN)[n:]
    assert [(r.staff_no, r.outcome, r.reason_code) for r in rows] == [
        (OPERATOR[0], "refused", "role_not_allowed")
    ]


async def test_the_session_ends_after_the_staff_timeout_and_on_f10(
    visits: Visits, settings: Settings
) -> None:
    clock = FakeClock(datetime.now(UTC))
    desk = ConsoleDesk(visits.database, settings, training=True, policy=FAST_POLICY, clock=clock)
    app = SupervisorConsole(settings, desk, training=True, refresh_s=60)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _sign_in(app, pilot, SUPERVISOR[0], SUPERVISOR[2])
            await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen), 10)
            clock.advance(FAST_POLICY.session_timeout_s + 1)
            await wait_for(pilot, lambda: _signed_out(app), 5)
            assert "自动签退" in _message(app)
            assert _audit(visits.database, SIGN_OUT)[-1].reason_code == "timeout"

            await _sign_in(app, pilot, SUPERVISOR[0], SUPERVISOR[2])
            try:
                await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen), 10)
            except AssertionError:
                raise AssertionError(_message(app)) from None
            await pilot.press("f10")
            await wait_for(pilot, lambda: _signed_out(app), 5)
            assert "已签退" in _message(app)
            assert _audit(visits.database, SIGN_OUT)[-1].reason_code == "sign_out"
    finally:
        desk.close()


async def test_devices_show_as_the_kiosk_recorded_them(
    visits: Visits, desk: ConsoleDesk, settings: Settings
) -> None:
    at = datetime.now(UTC)
    log = StatusLog(visits.database)
    log.record(
        KioskStatus(
            devices=(
                DeviceStatus(Device.READER, DeviceState.READY),
                DeviceStatus(Device.TOKEN, DeviceState.READY),
                DeviceStatus(Device.CAMERA, DeviceState.MISSING, "未连接摄像头", "no camera"),
                DeviceStatus(Device.PRINTER, DeviceState.FAULT, "打印机缺纸", "out of paper"),
            ),
            hub=HubStatus(True, 0),
            counter=CounterState(True),
            at=at,
        )
    )
    log.close()
    app = SupervisorConsole(settings, desk, training=True, refresh_s=60)
    async with app.run_test(size=SIZE) as pilot:
        await _sign_in(app, pilot, SUPERVISOR[0], SUPERVISOR[2])
        await wait_for(pilot, lambda: getattr(app.screen, "reads", 0) >= 1, 10)
        await pilot.press("5")
        rows = {r[0]: r for r in _table(app, "devices-table")}
        assert list(rows) == ["读卡器", "介质", "印章摄像头", "打印机"]
        assert rows["打印机"][1:3] == ["故障", "打印机缺纸"]
        assert rows["印章摄像头"][1] == "未连接"
        assert "设备状态为柜台程序于" in app.screen.query_one("#devices-at", LangText).shown


async def test_the_kiosk_app_records_what_its_status_bar_polled(
    tmp_path: Path, settings: Settings
) -> None:
    from kiosk.console.status_log import read_devices
    from kiosk.shell.app import KioskApp
    from kiosk.shell.services import Services
    from tests.functional.support import FixedStatus

    database = tmp_path / "kiosk.db"
    Store.open(database).close()
    services = Services(
        status=FixedStatus(), training=True, status_interval_s=60.0,
        status_log=StatusLog(database),
    )  # fmt: skip
    app = KioskApp(settings, services)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.status is not None)

            def recorded() -> list:
                with Store.open(database) as store:
                    return read_devices(store.db)

            await wait_for(pilot, lambda: len(recorded()) == 4)
    finally:
        services.close()
    printer = recorded()[-1]
    assert (printer.device, printer.state) == ("printer", "fault")
    assert printer.reason_en == "out of paper"
