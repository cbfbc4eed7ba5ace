"""A kiosk's business writes, as a separate process: each transaction inserts sales rows and their
outbox events together, so at any moment (kill -9 included) the two counts agree.

    python -m tests.support.kiosk_writer DB TOTAL [--delay SECONDS]
"""

from __future__ import annotations

import random
import sys
import time

from data import outbox
from data.store import Store


def main() -> None:
    path, total = sys.argv[1], int(sys.argv[2])
    delay = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--delay" else 0.0
    db = Store.open(path).db
    db.conn.execute(
        "CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, visit TEXT, amount_fen INTEGER)"
    )
    done = db.conn.execute("SELECT count(*) FROM sales").fetchone()[0]
    rng = random.Random(done)
    while done < total:
        n = min(total - done, rng.randint(1, 10))
        with db.atomic():
            for _ in range(n):
                visit = f"DG-20261121-{done // 5:04d}"
                db.conn.execute(
                    "INSERT INTO sales (visit, amount_fen) VALUES (?, ?)", (visit, 20000)
                )
                outbox.enqueue(
                    db,
                    kind="payment.recorded",
                    visit_id=visit,
                    payload={"amount_fen": 20000, "n": done},
                )
                done += 1
        if delay:
            time.sleep(delay)


if __name__ == "__main__":
    main()
