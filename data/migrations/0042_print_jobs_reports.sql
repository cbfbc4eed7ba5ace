-- The day close prints its Z-report (and X-reports) through the same persisted print queue as
-- receipts, so a report meeting an out-of-paper printer waits and prints once paper is back.
-- SQLite cannot widen a CHECK in place: rebuild print_jobs with the two report kinds added.
CREATE TABLE print_jobs_new (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER REFERENCES visits (id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'test', 'z_report', 'x_report')),
    reprint INTEGER NOT NULL DEFAULT 0,       -- 1: a copy printed with 重打
    payload TEXT NOT NULL,                    -- JSON: the content, rendered at print time
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'printing', 'printed', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,                          -- code of the last failure (printer.paper_out, …)
    last_error_text TEXT,
    requested_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    printed_at TEXT
);
INSERT INTO print_jobs_new SELECT id, visit_id, kind, reprint, payload, state, attempts, last_error,
    last_error_text, requested_by, created_at, updated_at, printed_at FROM print_jobs;
DROP TABLE print_jobs;
ALTER TABLE print_jobs_new RENAME TO print_jobs;
CREATE INDEX print_jobs_state ON print_jobs (state, id);
CREATE INDEX print_jobs_visit ON print_jobs (visit_id, id);
