"""The app's status bar and background worker get the sync state from the kiosk's database."""

from __future__ import annotations

from data import outbox
from data.store import Store
from kiosk.config import default_config_text, parse_settings
from kiosk.shell.builder import sync_service
from kiosk.shell.services import hub_probe
from kiosk.sync.service import SyncService


def settings():
    return parse_settings(default_config_text(), "<embedded kiosk.toml>")


def test_hub_probe_reports_queue_depth_and_quarantine(tmp_path):
    db = Store.open(tmp_path / "kiosk.db").db
    probe = hub_probe(settings(), False, tmp_path / "kiosk.db")
    st = probe()
    assert st.online is None and st.queue_depth == 0
    ids = [outbox.enqueue(db, kind="visit.opened", payload={}) for _ in range(3)]
    outbox.set_state(db, {"online": "0"})
    st = probe()
    assert st.online is False and st.queue_depth == 3 and "offline" in st.reason_en
    outbox.record_results(db, [], {ids[0]: "bad"})
    st = probe()
    assert st.queue_depth == 2 and "quarantined" in st.reason_en and "隔离" in st.reason_zh


def test_sync_service_needs_a_credential(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_HUB_CREDENTIAL", raising=False)
    assert sync_service(settings(), tmp_path / "kiosk.db") is None
    monkeypatch.setenv("KIOSK_HUB_CREDENTIAL", "dg-01:secret")
    svc = sync_service(settings(), tmp_path / "kiosk.db")
    assert isinstance(svc, SyncService) and svc.hub.credential == "dg-01:secret"
