"""The CLI: kiosk staff, kiosk audit verify, kiosk day report|close (exit codes and messages)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from data.store import Store
from kiosk.shell.cli import main
from tests.unit.dayclose_support import Ledger

DAY = date(2026, 11, 20)


@pytest.fixture
def kiosk(tmp_path, monkeypatch, capsys):
    """Run ``kiosk --data-dir TMP ...`` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    cfg = tmp_path / "kiosk.toml"
    from kiosk.config import default_config_text

    cfg.write_text(
        default_config_text()
        .replace("pin_hash_memory_kib = 65536", "pin_hash_memory_kib = 1024")
        .replace("pin_hash_time_cost = 3", "pin_hash_time_cost = 1")
        .replace(
            'pdf_font = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"',
            'pdf_font = "/nonexistent.ttf"',
        ),
        encoding="utf-8",
    )

    def run(*args, env=None):
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        code = main(["--config", str(cfg), "--data-dir", str(tmp_path / "var"), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    run.db = tmp_path / "var" / "kiosk.db"
    run.tmp = tmp_path
    return run


def test_staff_add_list_disable(kiosk):
    code, out, _ = kiosk(
        "staff",
        "add",
        "3001",
        "--name",
        "陈静",
        "--role",
        "clerk",
        env={"KIOSK_STAFF_PIN": "112233"},
    )
    assert code == 0 and "added 3001" in out
    code, out, _ = kiosk("staff", "list", "--json")
    assert json.loads(out)[0]["role"] == "clerk"
    assert kiosk("staff", "disable", "3001", "--reason", "left")[0] == 0
    code, _, err = kiosk(
        "staff", "add", "3002", "--name", "x", "--role", "boss", env={"KIOSK_STAFF_PIN": "112233"}
    )
    assert code == 2 and "operator" in err
    code, _, err = kiosk(
        "staff", "add", "3002", "--name", "x", "--role", "clerk", env={"KIOSK_STAFF_PIN": "12"}
    )
    assert code == 2 and "6 to 12 digits" in err


def test_audit_verify_names_the_tampered_row(kiosk):
    for n in ("3001", "3002", "3003"):
        kiosk(
            "staff", "add", n, "--name", "x", "--role", "clerk", env={"KIOSK_STAFF_PIN": "112233"}
        )
    code, out, _ = kiosk("audit", "verify")
    assert code == 0 and "3 rows" in out
    conn = sqlite3.connect(kiosk.db)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET after = replace(after, '3002', '3009') WHERE seq = 2")
    conn.commit()
    conn.close()
    code, _, err = kiosk("audit", "verify")
    assert code == 1 and "row 2" in err and "edited" in err
    assert "Traceback" not in err


def _day_with_sales(kiosk):
    kiosk(
        "staff",
        "add",
        "3001",
        "--name",
        "陈静",
        "--role",
        "clerk",
        env={"KIOSK_STAFF_PIN": "112233"},
    )
    kiosk(
        "staff",
        "add",
        "2001",
        "--name",
        "李强",
        "--role",
        "supervisor",
        env={"KIOSK_STAFF_PIN": "135790"},
    )
    with Store.open(kiosk.db) as s:
        led = Ledger(s)
        for hh, method, fen in (
            (9, "card", 120000),
            (10, "wechat", 40000),
            (11, "alipay", 20000),
            (14, "transfer", 100000),
        ):
            v, _ = led.visit(DAY, hh)
            led.pay(v, DAY, hh, method, fen)


def _counted(kiosk, **over):
    body = {
        "methods": {"card": 120000, "wechat": 40000, "alipay": 20000, "transfer": 100000},
        "keys_in_stock": 0,
    }
    body.update(over)
    p = kiosk.tmp / "counted.json"
    p.write_text(json.dumps(body))
    return str(p)


def test_day_report_formats(kiosk):
    _day_with_sales(kiosk)
    code, out, _ = kiosk("day", "report", "--date", "2026-11-20", "--format", "json")
    assert code == 0
    r = json.loads(out)
    assert r["report"] == "X" and r["totals"]["expected_fen"] == 280000
    code, out, _ = kiosk("day", "report", "--date", "2026-11-20", "--format", "csv")
    assert out.splitlines()[0] == "section,item,figure,detail" and "method,card,120000" in out
    code, _, err = kiosk("day", "report", "--date", "20.11.2026")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = kiosk("day", "report", "--format", "xml")
    assert code == 2 and "table" in err


def test_day_close_cli(kiosk):
    _day_with_sales(kiosk)
    short = _counted(
        kiosk, methods={"card": 119000, "wechat": 40000, "alipay": 20000, "transfer": 100000}
    )
    code, _, err = kiosk(
        "day",
        "close",
        "--date",
        "2026-11-20",
        "--counted",
        short,
        "--staff",
        "3001",
        "--no-print",
        env={"KIOSK_STAFF_PIN": "112233"},
    )
    assert code == 1 and "write a note" in err
    noted = _counted(
        kiosk,
        methods={"card": 119000, "wechat": 40000, "alipay": 20000, "transfer": 100000},
        note="slip missing",
    )
    code, _, err = kiosk(
        "day",
        "close",
        "--date",
        "2026-11-20",
        "--counted",
        noted,
        "--staff",
        "3001",
        "--no-print",
        env={"KIOSK_STAFF_PIN": "112233"},
    )
    assert code == 1 and "supervisor" in err
    # The PDF font is missing in this config: the close itself committed before the files, so
    # the failure to write the PDF is reported and the day stays closed.
    code, out, err = kiosk(
        "day",
        "close",
        "--date",
        "2026-11-20",
        "--counted",
        noted,
        "--staff",
        "3001",
        "--approver",
        "2001",
        "--no-print",
        env={"KIOSK_STAFF_PIN": "112233", "KIOSK_APPROVER_PIN": "135790"},
    )
    assert (
        code == 1
        and "is closed, but its report files were not written" in err
        and "PDF font" in err
    )
    # No hub credential in this config: the typed QR figures stand, and the clerk is told.
    assert "typed WeChat/Alipay figures are used" in out and "no hub credential" in out
    code, out, _ = kiosk("day", "report", "--date", "2026-11-20", "--format", "json")
    z = json.loads(out)
    assert z["report"] == "Z" and z["approver"] == "2001"
    assert z["counted"]["qr_source"].startswith("clerk_typed: hub not reachable")
    assert z["counted"]["methods"]["wechat"] == 40000
    code, _, err = kiosk(
        "day",
        "close",
        "--date",
        "2026-11-20",
        "--counted",
        noted,
        "--staff",
        "3001",
        "--no-print",
        env={"KIOSK_STAFF_PIN": "112233"},
    )
    assert code == 1 and "already closed" in err


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"methods": {"card": -5, "wechat": 0, "alipay": 0, "transfer": 0}}, "methods.card"),
        ({"methods": {"card": 12.34, "wechat": 0, "alipay": 0, "transfer": 0}}, "integer of fen"),
    ],
)
def test_day_close_bad_counted_exit_2(kiosk, body, words):
    _day_with_sales(kiosk)
    p = kiosk.tmp / "bad.json"
    p.write_text(json.dumps(body))
    code, _, err = kiosk(
        "day",
        "close",
        "--date",
        "2026-11-20",
        "--counted",
        str(p),
        "--staff",
        "3001",
        "--no-print",
        env={"KIOSK_STAFF_PIN": "112233"},
    )
    assert code == 2 and words in err
    p.write_text("{not json")
    code, _, err = kiosk(
        "day",
        "close",
        "--date",
        "2026-11-20",
        "--counted",
        str(p),
        "--staff",
        "3001",
        "--no-print",
        env={"KIOSK_STAFF_PIN": "112233"},
    )
    assert code == 2 and "not JSON" in err


def test_staff_import_caches_the_hub_roster(kiosk):
    from argon2 import PasswordHasher

    h = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("778899")
    f = kiosk.tmp / "roster.json"
    f.write_text(
        json.dumps(
            [
                {
                    "staff_no": "5001",
                    "name": "孙七",
                    "role": "supervisor",
                    "pin_hash": h,
                    "card_uid": "0A0B0C0D",
                }
            ]
        )
    )
    code, out, _ = kiosk("staff", "import", str(f))
    assert code == 0 and "1 staff" in out
    code, out, _ = kiosk("staff", "list", "--json")
    assert json.loads(out)[0]["source"] == "hub"
    f.write_text(json.dumps([{"staff_no": "5002", "name": "x", "role": "king", "pin_hash": h}]))
    code, _, err = kiosk("staff", "import", str(f))
    assert code == 2 and "king" in err
    f.write_text(json.dumps([{"staff_no": "5002"}]))
    code, _, err = kiosk("staff", "import", str(f))
    assert code == 2 and "lack" in err


def test_day_close_takes_qr_figures_from_the_hub_bill(kiosk, tmp_path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import httpx

    from hub import kiosks
    from hub.app import create_app
    from hub.db import HubDB
    from hub.payments.sandbox import SandboxProvider
    from kiosk.domain.clock import SettableClock
    from tests.money_helpers import ALIPAY_OK, WECHAT_OK
    from tests.support.procs import threaded_hub

    _day_with_sales(kiosk)  # the kiosk's own ledger: wechat 40000 on DAY
    hubdb = HubDB(f"sqlite:///{tmp_path}/hub.db")
    cred = kiosks.enrol(hubdb, "dg-01")
    provider = SandboxProvider()
    provider.clock = SettableClock(datetime(2026, 11, 20, 10, 5, tzinfo=ZoneInfo("Asia/Shanghai")))
    cfg = kiosk.tmp / "kiosk.toml"
    with threaded_hub(create_app(hubdb, provider=provider)) as url:
        text = cfg.read_text(encoding="utf-8")
        text = text.replace('url = "https://hub.netca.example/api/v1"', f'url = "{url}/api/v1"')
        cfg.write_text(text.replace('credential = ""', f'credential = "{cred}"', 1), "utf-8")
        for no, code, fen in (
            ("DG-20261120-0002-2", WECHAT_OK, 40000),
            ("DG-20261120-0003-3", ALIPAY_OK, 20000),
        ):
            paid = httpx.post(
                f"{url}/v1/payments/micropay",
                json={"out_trade_no": no, "auth_code": code, "amount_fen": fen, "description": ""},
                headers={"Authorization": f"Bearer {cred}"},
            )
            assert paid.status_code == 200 and paid.json()["trade"]["state"] == "SUCCESS"
        typed = _counted(  # the clerk mistyped WeChat; the bill corrects it
            kiosk, methods={"card": 120000, "wechat": 4000, "alipay": 20000, "transfer": 100000}
        )
        _, out, err = kiosk(
            "day",
            "close",
            "--date",
            "2026-11-20",
            "--counted",
            typed,
            "--staff",
            "3001",
            "--no-print",
            env={"KIOSK_STAFF_PIN": "112233"},
        )
    assert "wechat: typed 40.00, provider bill 400.00: the bill's figure is used" in out
    assert "closed 2026-11-20" in out and "report files were not written" in err  # no PDF font
    code, out, _ = kiosk("day", "report", "--date", "2026-11-20", "--format", "json")
    z = json.loads(out)
    assert z["report"] == "Z"
    assert z["counted"]["qr_source"] == "provider_bill"
    assert z["counted"]["methods"]["wechat"] == 40000
    assert {d["item"]: d["difference"] for d in z["differences"]}["wechat"] == 0
