-- The devices' state as the kiosk's status bar last saw it, for the supervisor console, which
-- opens no device itself and reads this instead. One row per device, rewritten by the kiosk's
-- status poll when a state changes and at least every half minute (the heartbeat that tells
-- the console the kiosk is still running).
CREATE TABLE device_status (
    device TEXT PRIMARY KEY,                -- reader | token | camera | printer
    state TEXT NOT NULL,                    -- ready | missing | fault
    reason_zh TEXT NOT NULL DEFAULT '',
    reason_en TEXT NOT NULL DEFAULT '',
    since TEXT NOT NULL,                    -- UTC: when the device entered this state
    checked_at TEXT NOT NULL                -- UTC: the last poll that recorded it
);
