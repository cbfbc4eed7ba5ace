"""Two kiosks of one counter never make the same order number: [counter] station.

The order number keys a visit's events (uuid5 of order and step), its payment's out_trade_no and
its certificate requests on the hub, so two kiosks both numbering DG-YYYYMMDD-0001 would collide
there. With a station digit each they do not; without one the hub refuses the second kiosk's
certificate request and its clashing events in words, and the kiosk keeps them (quarantined).
"""

from __future__ import annotations

import re

import pytest

from hub import kiosks
from hub.db import HubDB
from kiosk.config import default_config_text, load_settings
from kiosk.errors import ConfigError
from kiosk.shell.builder import build_visit_resources
from kiosk.visits import FlowError, Resources, VisitFlow
from tests.flows_helpers import inputs

pytestmark = pytest.mark.e2e


def _settings(station: str):
    s = load_settings(None)
    return s.model_copy(update={"counter": s.counter.model_copy(update={"station": station})})


def _pair(tmp_path, stations: tuple[str, str]) -> tuple[Resources, Resources]:
    first = build_visit_resources(
        _settings(stations[0]), tmp_path / "k1", training=True, key_algorithm="ec-p256"
    )
    url = first.hub_url  # the first kiosk's training hub serves both
    hubdb = HubDB(f"sqlite:///{tmp_path / 'k1' / 'hub' / 'hub.db'}")
    try:
        cred = kiosks.enrol(hubdb, f"second-{stations[1] or 'none'}")
    finally:
        hubdb.close()
    second = build_visit_resources(
        _settings(stations[1]),
        tmp_path / "k2",
        training=True,
        key_algorithm="ec-p256",
        hub=(url, cred),
    )
    return first, second


def _visit(res: Resources) -> VisitFlow:
    f = VisitFlow.open(res, service="new", program="dongguan-hpf", kind="org", years=1, seal=False)
    f.run_all(inputs("org"))
    res.sync_once()
    return f


def _hub_visits(tmp_path) -> set[str]:
    hubdb = HubDB(f"sqlite:///{tmp_path / 'k1' / 'hub' / 'hub.db'}")
    try:
        with hubdb.transaction() as tx:
            return {r[0] for r in tx.all("SELECT DISTINCT visit_id FROM events")}
    finally:
        hubdb.close()


def test_stations_keep_order_numbers_apart_on_one_hub(tmp_path):
    a, b = _pair(tmp_path, ("1", "2"))
    try:
        fa, fb = _visit(a), _visit(b)
        assert re.fullmatch(r"DG1-\d{8}-0001", fa.order_no)
        assert re.fullmatch(r"DG2-\d{8}-0001", fb.order_no)
        for res in (a, b):
            n = res.store.db.execute(
                "SELECT count(*) FROM outbox WHERE state != 'sent'"
            ).fetchone()[0]
            assert n == 0  # everything acknowledged, nothing quarantined
        assert {fa.order_no, fb.order_no} <= _hub_visits(tmp_path)
        assert fa.state()["certificate"]["serial"] != fb.state()["certificate"]["serial"]
    finally:
        b.close()
        a.close()


def test_without_stations_the_hub_refuses_the_clash_in_words(tmp_path):
    a, b = _pair(tmp_path, ("", ""))
    try:
        fa = _visit(a)
        fb = VisitFlow.open(
            b, service="new", program="dongguan-hpf", kind="org", years=1, seal=False
        )
        assert fa.order_no == fb.order_no  # the mistake the station digit prevents
        with pytest.raises(FlowError) as err:
            fb.run_all(inputs("org"))
        # The hub will not hand the first kiosk's certificate to the second one.
        assert err.value.code == "hub.request_id_reused" and err.value.step == "keys"
        assert "[counter] station" in err.value.message
        assert fb.state()["state"] == "failed"  # held at the step, resumable once fixed
        b.sync_once()
        held = b.store.db.execute(
            "SELECT last_error FROM outbox WHERE state = 'quarantined' AND kind LIKE 'visit.%'"
        ).fetchall()
        assert held and all("[counter] station" in e for (e,) in held)
        # Kept on the kiosk, not lost: the events are there for staff to export.
        assert b.store.db.execute("SELECT count(*) FROM outbox").fetchone()[0] >= len(held)
    finally:
        b.close()
        a.close()


@pytest.mark.parametrize("station", ["12", "A", "-", " "])
def test_a_bad_station_is_refused_by_name(tmp_path, station):
    cfg = tmp_path / "kiosk.toml"
    text = default_config_text()
    cfg.write_text(text.replace('station = ""', f'station = "{station}"'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert "counter.station" in err.value.message
