"""The hub's HTTP API: idempotent ingest, credentials, certificates, CRL, configuration."""

from __future__ import annotations

import base64
import uuid

import pytest
from cryptography import x509
from starlette.testclient import TestClient

from hub import configdocs, kiosks
from hub.app import create_app
from hub.db import HubDB, parse_url
from hub.events import counts_by_kiosk
from kiosk.errors import ConfigError, UsageError
from tests.support.ca import ThrowawayCA, make_csr
from tests.support.postgres import pg_cluster  # noqa: F401 - a fixture


@pytest.fixture(params=["sqlite", "postgresql"])
def hubdb(request, tmp_path):
    """The same hub code on both databases it supports."""
    if request.param == "sqlite":
        db = HubDB(f"sqlite:///{tmp_path}/hub.db")
    else:
        db = HubDB(request.getfixturevalue("pg_cluster").fresh())
    yield db
    db.close()


@pytest.fixture
def ca():
    return ThrowawayCA()


@pytest.fixture
def client(hubdb, ca):
    cred = kiosks.enrol(hubdb, "dg-01")
    c = TestClient(create_app(hubdb, ca))
    c.headers["Authorization"] = f"Bearer {cred}"
    return c


def ev(**kw):
    base = {
        "event_id": str(uuid.uuid4()),
        "visit_id": "DG-20261121-0001",
        "kind": "visit.step_done",
        "payload": {"step": "pay", "amount_fen": 120000},
        "created_at": "2026-11-21T03:00:00.000000Z",
    }
    return base | kw


def test_health_needs_no_credential(hubdb):
    r = TestClient(create_app(hubdb)).get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize("header", [None, "Bearer dg-01:wrong", "Bearer nobody:x", "Basic abc"])
def test_wrong_or_missing_credential_gets_401_and_stores_nothing(hubdb, header):
    kiosks.enrol(hubdb, "dg-01")
    c = TestClient(create_app(hubdb))
    headers = {"Authorization": header} if header else {}
    r = c.post("/api/v1/events", json={"events": [ev()]}, headers=headers)
    assert r.status_code == 401
    assert counts_by_kiosk(hubdb) == {}


def test_ingest_answers_per_event_and_stores_each_id_once(client, hubdb):
    a, b = ev(), ev()
    bad = ev(kind="NotAKind")
    r = client.post("/api/v1/events", json={"events": [a, b, bad]})
    assert [x["status"] for x in r.json()["results"]] == ["stored", "stored", "rejected"]
    assert "kind" in r.json()["results"][2]["reason"]
    r = client.post("/api/v1/events", json={"events": [b, a, ev()]})
    assert [x["status"] for x in r.json()["results"]] == ["duplicate", "duplicate", "stored"]
    assert counts_by_kiosk(hubdb) == {"dg-01": 3}


def test_same_id_with_other_content_is_rejected_not_overwritten(client, hubdb):
    a = ev()
    client.post("/api/v1/events", json={"events": [a]})
    r = client.post("/api/v1/events", json={"events": [a | {"payload": {"amount_fen": 1}}]})
    assert r.json()["results"][0]["status"] == "rejected"
    assert counts_by_kiosk(hubdb) == {"dg-01": 1}


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"event_id": "not-a-uuid"}, "UUID"),
        ({"payload": "text"}, "payload"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"created_at": "2026-11-21T03:00:00"}, "created_at"),
        ({"visit_id": 7}, "visit_id"),
    ],
)
def test_malformed_events_are_rejected_with_a_reason(client, event, reason):
    r = client.post("/api/v1/events", json={"events": [ev(**event)]})
    res = r.json()["results"][0]
    assert res["status"] == "rejected" and reason in res["reason"]


def test_payment_events_keyed_by_order_number_and_old_ones_by_row_id_are_both_kept(client, hubdb):
    """Kiosks now key a visit's payment events by its order number; events queued before that
    (keyed by the local visit row id) still go in, each once."""
    paid = {"payment_id": 1, "order_no": "DG-20261121-0001", "amount_fen": 120000}
    old = ev(kind="payment.paid", visit_id="12", payload=paid)
    new = ev(kind="payment.paid", payload=paid | {"payment_id": 2})
    r = client.post("/api/v1/events", json={"events": [old, new]})
    assert [x["status"] for x in r.json()["results"]] == ["stored", "stored"]
    r = client.post("/api/v1/events", json={"events": [old, new]})
    assert [x["status"] for x in r.json()["results"]] == ["duplicate", "duplicate"]
    with hubdb.transaction() as tx:
        keys = tx.all("SELECT visit_id FROM events ORDER BY id")
    assert [k[0] for k in keys] == ["12", "DG-20261121-0001"]


def test_skewed_kiosk_clock_is_accepted_and_kept(client, hubdb):
    future = ev(created_at="2031-01-01T00:00:00Z")
    past = ev(created_at="1999-12-31T23:59:59Z")
    r = client.post("/api/v1/events", json={"events": [future, past]})
    assert [x["status"] for x in r.json()["results"]] == ["stored", "stored"]
    with hubdb.transaction() as tx:
        assert tx.one(
            "SELECT created_at FROM events WHERE event_id = ?", (future["event_id"],)
        ) == ("2031-01-01T00:00:00Z",)


def test_non_json_body_and_oversized_batch(client):
    assert client.post("/api/v1/events", content=b"<html>").status_code == 400
    assert client.post("/api/v1/events", json={"nope": 1}).status_code == 400
    assert (
        client.post("/api/v1/events", json={"events": [ev() for _ in range(1001)]}).status_code
        == 413
    )


def _cert_request(**kw):
    body = {
        "request_id": str(uuid.uuid4()),
        "csr": base64.b64encode(make_csr("东莞测试单位")).decode(),
        "profile": "org",
        "subject": {"unit_name": "东莞测试单位", "uscc": "91441900MA4UJ8GK5T"},
        "validity": {"years": 3},
    }
    return body | kw


def test_certificate_issued_once_per_request_id(client, ca):
    body = _cert_request()
    first = client.post("/api/v1/certificates", json=body)
    assert first.status_code == 200, first.text
    again = client.post("/api/v1/certificates", json=body)
    assert again.json()["status"] == "already_issued"
    assert again.json()["serial"] == first.json()["serial"]
    assert len(ca.issued) == 1
    cert = x509.load_pem_x509_certificate(first.json()["certificate_pem"].encode())
    assert cert.issuer == ca.cert.subject
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days in (1095, 1096)


def test_request_id_reused_with_another_csr_is_refused(client):
    body = _cert_request()
    client.post("/api/v1/certificates", json=body)
    other = body | {"csr": base64.b64encode(make_csr()).decode()}
    r = client.post("/api/v1/certificates", json=other)
    assert r.status_code == 422 and r.json()["error"]["code"] == "hub.request_id_reused"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"csr": base64.b64encode(b"junk").decode()}, "hub.bad_csr"),
        ({"csr": "%%%"}, "hub.bad_csr"),
        ({"profile": "server"}, "hub.ca_refused"),
        ({"subject": {"unit_name": 7}}, "hub.bad_subject"),
        ({"subject": {"nickname": "a"}}, "hub.ca_refused"),
        ({"validity": {"years": 9}}, "hub.bad_validity"),
        ({"request_id": "x"}, "hub.bad_request"),
    ],
)
def test_bad_certificate_requests_are_refused_by_name(client, change, code):
    r = client.post("/api/v1/certificates", json=_cert_request(**change))
    assert r.status_code == 422 and r.json()["error"]["code"] == code


def test_revoke_then_crl_lists_the_serial(client):
    serial = client.post("/api/v1/certificates", json=_cert_request()).json()["serial"]
    r = client.post(f"/api/v1/certificates/{serial}/revoke", json={"reason": "keyCompromise"})
    assert r.json()["status"] == "revoked"
    r = client.post(f"/api/v1/certificates/{serial}/revoke", json={"reason": "keyCompromise"})
    assert r.json()["status"] == "already_revoked"
    crl = x509.load_der_x509_crl(client.get("/api/v1/crl").content)
    assert crl.get_revoked_certificate_by_serial_number(int(serial, 16)) is not None
    assert client.post("/api/v1/certificates/abc123/revoke", json={}).status_code == 404
    other = client.post("/api/v1/certificates", json=_cert_request()).json()["serial"]
    bad = client.post(f"/api/v1/certificates/{other}/revoke", json={"reason": "bored"})
    assert bad.status_code == 422


def test_without_a_ca_issuance_answers_503(hubdb):
    cred = kiosks.enrol(hubdb, "dg-02")
    c = TestClient(create_app(hubdb, None))
    r = c.post(
        "/api/v1/certificates", json=_cert_request(), headers={"Authorization": f"Bearer {cred}"}
    )
    assert r.status_code == 503


def test_config_documents_with_etag(client, hubdb):
    configdocs.put(hubdb, "fee_tables", {"dg_gjj": {"new_per_year_fen": 20000}})
    configdocs.put(hubdb, "staff_roster", {"staff": [{"no": "001", "pin_hash": "$argon2id$..."}]})
    r = client.get("/api/v1/config")
    assert r.json()["documents"]["fee_tables"]["dg_gjj"]["new_per_year_fen"] == 20000
    etag = r.headers["etag"]
    assert client.get("/api/v1/config", headers={"If-None-Match": etag}).status_code == 304
    configdocs.put(hubdb, "blocklists", {"uscc": []})
    assert client.get("/api/v1/config", headers={"If-None-Match": etag}).status_code == 200


def test_roster_with_clear_pins_is_refused(hubdb):
    with pytest.raises(UsageError):
        configdocs.put(hubdb, "staff_roster", {"staff": [{"no": "001", "pin": "123456"}]})


def test_enrol_twice_needs_rotate(hubdb):
    first = kiosks.enrol(hubdb, "dg-03")
    with pytest.raises(UsageError):
        kiosks.enrol(hubdb, "dg-03")
    second = kiosks.enrol(hubdb, "dg-03", rotate=True)
    assert kiosks.authenticate(hubdb, f"Bearer {second}") == "dg-03"
    assert kiosks.authenticate(hubdb, f"Bearer {first}") is None


def test_database_urls():
    assert parse_url("sqlite:///var/hub.db") == ("sqlite", "var/hub.db")
    assert parse_url("sqlite:////tmp/hub.db") == ("sqlite", "/tmp/hub.db")
    assert parse_url("postgresql://hub@127.0.0.1/hub")[0] == "postgresql"
    with pytest.raises(ConfigError):
        parse_url("mysql://x/y")


def test_a_lost_race_is_settled_by_the_unique_constraint(client, hubdb, monkeypatch):
    """Another hub process stores an event between our look and our insert: the constraint
    keeps it single and the answer still says duplicate, not stored."""
    from hub import events

    a, b = ev(), ev()
    client.post("/api/v1/events", json={"events": [a]})
    monkeypatch.setattr(events, "_existing", lambda tx, ids: {})  # blind to what is stored
    r = client.post("/api/v1/events", json={"events": [a, b]})
    assert [x["status"] for x in r.json()["results"]] == ["duplicate", "stored"]
    assert counts_by_kiosk(hubdb) == {"dg-01": 2}
