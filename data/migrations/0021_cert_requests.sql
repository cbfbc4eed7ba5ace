-- Certificate requests prepared on a key at the counter (key pair made on the token, CSR kept
-- here) and finished by the sync worker when the hub's CA answers. The key waits at the counter
-- under its order number until the certificate arrives, is written to it, and is handed over.
CREATE TABLE cert_requests (
    request_id TEXT PRIMARY KEY,
    order_no TEXT NOT NULL,
    visit_id TEXT,
    token_serial TEXT,
    profile TEXT NOT NULL,
    subject TEXT NOT NULL,
    validity TEXT NOT NULL,
    csr_der BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting'
        CHECK (state IN ('waiting', 'ready', 'installed', 'handed_over', 'failed')),
    cert_der BLOB,
    serial TEXT,
    not_after TEXT,
    agent_id_digest TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX cert_requests_state ON cert_requests (state, created_at);
