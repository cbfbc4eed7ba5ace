-- Interim: events of payments and receipts, written in the same transaction as the change,
-- until data/outbox.py (the transactional outbox, 0020-0029) is on main. kiosk/payments/events.py
-- is the one place that writes here; once the outbox lands it writes there instead and this
-- table stays empty (a later migration of the sync area may drop it).
CREATE TABLE money_events (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER REFERENCES visits (id),
    kind TEXT NOT NULL,                        -- payment.paid, refund.done, invoice.requested, …
    payload TEXT NOT NULL,                     -- JSON
    created_at TEXT NOT NULL
);
