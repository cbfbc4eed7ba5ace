-- Configuration documents handed out by the hub (fee tables, staff roster with hashed PINs,
-- blocklists), kept locally so the counter works with the last copy while offline.
CREATE TABLE hub_config (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    version TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
