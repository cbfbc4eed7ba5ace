-- Save first, then print: every receipt is a job row before a byte goes to the printer.
-- queued -> printing -> printed | failed; a job meeting an offline / out-of-paper / cover-open
-- printer goes back to queued with the reason and prints when the printer is back.
CREATE TABLE print_jobs (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER REFERENCES visits (id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'test')),
    reprint INTEGER NOT NULL DEFAULT 0,       -- 1: a copy printed with 重打
    payload TEXT NOT NULL,                    -- JSON: the receipt's content, rendered at print time
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'printing', 'printed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,                          -- code of the last failure (printer.paper_out, …)
    last_error_text TEXT,
    requested_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    printed_at TEXT
);
CREATE INDEX print_jobs_state ON print_jobs (state, id);
CREATE INDEX print_jobs_visit ON print_jobs (visit_id, id);

-- A PIN slip is printed once and never stored: this row says it was printed, never what it said.
CREATE TABLE pin_slips (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    token_serial TEXT NOT NULL,
    printed_by TEXT,
    printed_at TEXT NOT NULL,
    UNIQUE (visit_id, token_serial)
);
