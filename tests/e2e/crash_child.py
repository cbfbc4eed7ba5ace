"""A kiosk process that takes a payment and dies before its receipt prints (kill -9 test).

Usage: python -m tests.e2e.crash_child DATA_DIR HUB_URL PRINTER_URI VISIT_ID KEY
Prints ``PAID <id>`` once the payment committed, then ``WAITING`` once a print attempt met the
(out of paper) printer, then hangs until killed.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from kiosk.payments.gateway import HubGateway
from tests.money_helpers import WECHAT_OK, dg_new_quote, open_store, wire


def main() -> None:
    data_dir, hub_url, printer_uri, visit_id, key = sys.argv[1:6]
    store = open_store(Path(data_dir))
    money = wire(store, printer_uri, gateway=HubGateway(hub_url))
    p = money.payments.pay_code(
        int(visit_id), dg_new_quote(), scanned=WECHAT_OK, staff_no="S001", idempotency_key=key
    )
    print(f"PAID {p.id} {p.state}", flush=True)
    result = money.queue.run_once()
    print(f"WAITING {result.waiting.state if result.waiting else 'none'}", flush=True)
    threading.Event().wait()  # the kill comes here


if __name__ == "__main__":
    main()
