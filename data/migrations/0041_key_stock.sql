-- Blank-key stock movements the day close counts (opening + received - issued - spoiled).
-- Received (a delivery of blank keys) and spoiled (a blank key broken or lost at the counter) are
-- recorded by staff; issued comes from the keys area's key_transitions (blank -> formatted) when
-- that table exists, otherwise from 'issued' rows here.
CREATE TABLE key_stock (
    id INTEGER PRIMARY KEY,
    movement TEXT NOT NULL CHECK (movement IN ('received', 'issued', 'spoiled')),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    at TEXT NOT NULL,                       -- UTC
    staff_no TEXT,
    reference TEXT NOT NULL DEFAULT '',     -- delivery note number, key serial, ...
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX key_stock_at ON key_stock (at);

CREATE TRIGGER key_stock_no_update BEFORE UPDATE ON key_stock
BEGIN
    SELECT RAISE(ABORT, 'key stock movements are never edited: record a correcting movement');
END;

CREATE TRIGGER key_stock_no_delete BEFORE DELETE ON key_stock
BEGIN
    SELECT RAISE(ABORT, 'key stock movements are never deleted');
END;
