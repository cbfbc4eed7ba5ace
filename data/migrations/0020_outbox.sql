-- The transactional outbox: every change the back office must learn, written in the same
-- transaction as the change itself. The sync worker sends pending rows in seq order and marks
-- them sent only on the hub's acknowledgement; a row the hub rejects is quarantined.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    visit_id TEXT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'quarantined')),
    sent_at TEXT,
    last_error TEXT
);
-- Pending and quarantined counts and the next batch come from this index alone.
CREATE INDEX outbox_state_seq ON outbox (state, seq);

-- One row per fact the worker records about the link (last attempt, last success, last error),
-- so the status bar reads it without touching the network.
CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT
);
