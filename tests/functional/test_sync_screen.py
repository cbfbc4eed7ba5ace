"""The staff sync screen (Pilot): queue, quarantine with retry and export, keys waiting."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable

from data import outbox
from data.store import Store
from kiosk.sync import issuance
from kiosk.sync.desk import SyncDesk
from screens.sync import SyncScreen
from screens.widgets.text import LangText
from tests.support.ca import make_csr


@pytest.fixture
def open_sync(make_app):
    """The real kiosk app with the sync screen pushed on top (as the staff menu will do)."""

    def make(desk):
        app = make_app()

        async def start(pilot):
            app.push_screen(SyncScreen(desk, refresh_every=60))
            await pilot.pause()
            return app.screen

        return app, start

    return make


@pytest.fixture
def desk(tmp_path):
    db = Store.open(tmp_path / "kiosk.db").db
    for i in range(3):
        outbox.enqueue(db, kind="payment.recorded", visit_id="DG-20261121-0001", payload={"i": i})
    bad = outbox.enqueue(db, kind="visit.opened", visit_id="DG-20261121-0002", payload={})
    outbox.record_results(db, [], {bad: "unknown program"})
    issuance.queue_request(
        db,
        order_no="DG-20261121-0003",
        token_serial="SN42",
        csr_der=make_csr(),
        profile="org",
        subject={"unit_name": "某单位"},
        validity={"years": 1},
        agent_id_number="44190019580101001X",
    )
    d = SyncDesk(tmp_path / "kiosk.db", export_dir=tmp_path / "exports")
    yield d
    d.close()


async def wait_rows(pilot, table, n):
    for _ in range(100):
        await pilot.pause(0.02)
        if table.row_count == n:
            return
    raise AssertionError(f"{table.id} has {table.row_count} rows, expected {n}")


async def test_screen_lists_queue_quarantine_and_keys(desk, open_sync):
    app, start = open_sync(desk)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await start(pilot)
        await wait_rows(pilot, screen.query_one("#pending", DataTable), 4)  # 3 + 1 request event
        quarantined = screen.query_one("#quarantined", DataTable)
        await wait_rows(pilot, quarantined, 1)
        assert "unknown program" in str(quarantined.get_row_at(0)[-1])
        keys = screen.query_one("#keys", DataTable)
        await wait_rows(pilot, keys, 1)
        row = keys.get_row_at(0)
        assert row[0] == "DG-20261121-0003" and "后台联机" in row[3]
        summary = screen.query_one("#summary", LangText).shown
        assert "待上传 4 条" in summary and "已隔离 1 条" in summary


async def test_retry_selected_puts_the_event_back_in_the_queue(desk, open_sync):
    app, start = open_sync(desk)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await start(pilot)
        await wait_rows(pilot, screen.query_one("#quarantined", DataTable), 1)
        await pilot.click("#retry-one")
        await wait_rows(pilot, screen.query_one("#quarantined", DataTable), 0)
        await wait_rows(pilot, screen.query_one("#pending", DataTable), 5)
    assert desk.status().quarantined == 0


async def test_export_writes_the_quarantined_events(desk, tmp_path, open_sync):
    app, start = open_sync(desk)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await start(pilot)
        await wait_rows(pilot, screen.query_one("#quarantined", DataTable), 1)
        await pilot.click("#export")
        for _ in range(100):
            await pilot.pause(0.02)
            files = list((tmp_path / "exports").glob("*.jsonl"))
            if files:
                break
    [line] = files[0].read_text().splitlines()
    assert json.loads(line)["last_error"] == "unknown program"


async def test_f2_switches_the_screen_to_english(desk, open_sync):
    app, start = open_sync(desk)
    async with app.run_test(size=(140, 50)) as pilot:
        screen = await start(pilot)
        keys = screen.query_one("#keys", DataTable)
        await wait_rows(pilot, keys, 1)
        await pilot.press("f2")
        for _ in range(100):
            await pilot.pause(0.02)
            if keys.row_count and "online" in keys.get_row_at(0)[3]:
                break
        assert keys.get_row_at(0)[3] == "Keep the key: it is requested when online"
        assert "to send" in screen.query_one("#summary", LangText).shown
