-- Staff roster, overrides, the hash-chained audit log and the day close (issue 8).

-- The roster: from the hub in production (source = 'hub'), `kiosk staff add` in training and tests.
-- A PIN is stored only as an argon2id hash. Lockout state is local to this kiosk.
CREATE TABLE staff (
    staff_no TEXT PRIMARY KEY,              -- e.g. "1024"
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'clerk')),
    pin_hash TEXT NOT NULL,                 -- argon2id PHC string
    card_uid TEXT UNIQUE,                   -- staff card UID, upper-case hex; NULL when none
    active INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'hub')),
    failed_pins INTEGER NOT NULL DEFAULT 0, -- consecutive wrong PINs
    locked_until TEXT,                      -- UTC; sign-in refused before it
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The audit log: append-only and hash-chained. row_hash = sha256 over the row's canonical JSON
-- (every column but row_hash, prev_hash included), so an edit anywhere breaks the chain at that
-- row. The triggers below are a second line of defence: the hash chain is what `kiosk audit
-- verify` trusts, because whoever can edit the file can also drop a trigger.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,                -- 1, 2, 3, ... without gaps
    at TEXT NOT NULL,                       -- UTC
    staff_no TEXT,                          -- who (NULL: the kiosk itself)
    role TEXT,
    action TEXT NOT NULL,                   -- "staff.sign_in", "override.fee_waiver", ...
    outcome TEXT NOT NULL CHECK (outcome IN ('done', 'requested', 'refused')),
    visit_id INTEGER,
    reason_code TEXT,
    reason_note TEXT,
    before TEXT,                            -- JSON or NULL
    after TEXT,                             -- JSON or NULL
    approver_no TEXT,
    approver_role TEXT,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX audit_visit ON audit_log (visit_id);
CREATE INDEX audit_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;

-- Overrides (a person decides where the kiosk cannot), each with a typed reason, recorded
-- against the visit. Dual-control kinds wait in 'pending' until a second staff member with the
-- supervisor role (never the initiator) approves or rejects.
CREATE TABLE overrides (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER,
    kind TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reason_note TEXT NOT NULL DEFAULT '',
    before TEXT,                            -- JSON
    after TEXT,                             -- JSON
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'done')),
    initiator_no TEXT NOT NULL,
    initiator_role TEXT NOT NULL,
    approver_no TEXT,
    requested_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX overrides_visit ON overrides (visit_id, id);
CREATE INDEX overrides_state ON overrides (state);

-- The end-of-day close (日结): one row per closed business date (local date of the counter).
-- A closed day is locked: corrections are adjusting entries booked on a later open day.
CREATE TABLE day_closes (
    business_date TEXT PRIMARY KEY,         -- YYYY-MM-DD, counter's local date
    closed_at TEXT NOT NULL,                -- UTC
    clerk_no TEXT NOT NULL,
    approver_no TEXT,                       -- supervisor who approved differences, if any
    note TEXT NOT NULL DEFAULT '',
    counted TEXT NOT NULL,                  -- JSON: the clerk's counted figures
    report TEXT NOT NULL,                   -- JSON: the Z-report as closed
    report_sha256 TEXT NOT NULL
);

CREATE TRIGGER day_closes_no_update BEFORE UPDATE ON day_closes
BEGIN
    SELECT RAISE(ABORT, 'a closed day cannot be changed: book an adjusting entry on an open day');
END;

CREATE TRIGGER day_closes_no_delete BEFORE DELETE ON day_closes
BEGIN
    SELECT RAISE(ABORT, 'a closed day cannot be reopened');
END;

-- Adjusting entries: a correction found after a day was closed is booked on an open day
-- (refers_to names the closed day it corrects). Never an edit of the closed day.
CREATE TABLE day_adjustments (
    id INTEGER PRIMARY KEY,
    business_date TEXT NOT NULL,            -- the open day it is booked on
    refers_to TEXT NOT NULL,                -- the closed day it corrects
    method TEXT NOT NULL,                   -- payment method, or 'keys'
    amount_fen INTEGER NOT NULL,            -- signed; for 'keys' a count
    reason TEXT NOT NULL,
    staff_no TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE TRIGGER day_adjustments_open_day BEFORE INSERT ON day_adjustments
WHEN EXISTS (SELECT 1 FROM day_closes WHERE business_date = NEW.business_date)
BEGIN
    SELECT RAISE(ABORT, 'that day is closed: book the adjustment on an open day');
END;
