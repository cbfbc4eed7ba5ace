-- USB keys (tokens): one row per key serial, its lifecycle history, and the issuance jobs
-- whose steps make issuing safe to repeat after a crash or a pulled key.
CREATE TABLE keys (
    serial TEXT PRIMARY KEY,                -- PKCS#11 token serial
    state TEXT NOT NULL,                    -- blank | formatted | active | suspended | lost | damaged | terminated
    label TEXT NOT NULL DEFAULT '',         -- token label (the order number of the issuing visit)
    so_pin_enc BLOB,                        -- SO PIN, AES-GCM under the data-dir secret; never in clear
    key_id TEXT,                            -- hex CKA_ID of the key pair on the key
    algorithm TEXT,                         -- rsa2048 | ec-p256
    kind TEXT,                              -- org | legal-rep | individual
    subject TEXT NOT NULL DEFAULT '{}',     -- JSON SubjectData
    unit_uscc TEXT,                         -- for "another unit's key" checks and lookups
    cert_serial TEXT,                       -- hex serial of the current certificate
    cert_not_after TEXT,                    -- UTC ISO-8601
    cert_der BLOB,
    seal_es_id TEXT,
    seal_der BLOB,                          -- the SESeal written on the key (re-bound on renew/change)
    issuances INTEGER NOT NULL DEFAULT 0,
    renewals INTEGER NOT NULL DEFAULT 0,
    pin_resets INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX keys_uscc ON keys (unit_uscc);

-- Every lifecycle transition: who, when, why, in which visit.
CREATE TABLE key_transitions (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    order_no TEXT,
    at TEXT NOT NULL
);
CREATE INDEX key_transitions_serial ON key_transitions (serial, id);

-- A service being done on a key (new, replace, renew, ...), one per order number and service.
CREATE TABLE key_jobs (
    id INTEGER PRIMARY KEY,
    order_no TEXT NOT NULL,
    service TEXT NOT NULL,
    state TEXT NOT NULL,                    -- running | done | abandoned | wiped
    key_serial TEXT,
    key_id TEXT,                            -- hex CKA_ID chosen before the key pair is made
    so_pin_enc BLOB,                        -- written before C_InitToken, so a crash can adopt the key
    params TEXT NOT NULL DEFAULT '{}',      -- JSON: kind, subject, validity, seal, algorithm
    csr_der BLOB,
    cert_der BLOB,
    seal_der BLOB,
    last_step TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (order_no, service)
);

CREATE TABLE key_job_steps (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES key_jobs (id),
    step TEXT NOT NULL,
    state TEXT NOT NULL,                    -- started | done | failed
    detail TEXT NOT NULL DEFAULT '{}',      -- JSON; never a PIN
    at TEXT NOT NULL
);
CREATE INDEX key_job_steps_job ON key_job_steps (job_id, id);
