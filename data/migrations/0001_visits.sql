-- The visit journal: one row per visit (受理), one row per completed step.
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    order_no TEXT NOT NULL UNIQUE,          -- DG-20261121-0007
    service TEXT NOT NULL,
    program TEXT,
    kind TEXT,
    state TEXT NOT NULL DEFAULT 'open',     -- open | done | failed | voided
    training INTEGER NOT NULL DEFAULT 0,    -- 1: made in training mode, never synced to production
    agent_name TEXT,
    agent_id_number TEXT,
    unit_name TEXT,
    unit_uscc TEXT,
    data TEXT NOT NULL DEFAULT '{}',        -- JSON: form data of the visit
    created_at TEXT NOT NULL,               -- UTC ISO-8601
    updated_at TEXT NOT NULL
);
CREATE INDEX visits_created ON visits (created_at);
CREATE INDEX visits_uscc ON visits (unit_uscc);

CREATE TABLE visit_steps (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    step TEXT NOT NULL,                     -- identify | form | materials | seal | quote | pay | issue | handover | receipt
    state TEXT NOT NULL,                    -- started | done | failed
    detail TEXT NOT NULL DEFAULT '{}',      -- JSON
    at TEXT NOT NULL
);
CREATE INDEX visit_steps_visit ON visit_steps (visit_id, id);

-- Order numbers are counted per counter and day, without gaps or repeats.
CREATE TABLE order_counters (
    prefix TEXT PRIMARY KEY,                -- DG-20261121
    last INTEGER NOT NULL
);
