-- Payments: money taken for a visit's quote. Amounts in integer fen. A payment's state moves
-- pending -> paid -> partially_refunded -> refunded, or pending -> cancelled; every move is a row
-- in payment_transitions. A refund is its own row pointing at the payment, never an edit.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    idempotency_key TEXT NOT NULL UNIQUE,      -- the caller's key: a retried "pay" finds this row
    quote_ref TEXT NOT NULL,                   -- sha256 of the quote (items + total): "same quote"
    quote TEXT NOT NULL,                       -- JSON: the quote as charged
    method TEXT NOT NULL CHECK (method IN ('card', 'wechat', 'alipay', 'transfer')),
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    state TEXT NOT NULL CHECK (state IN ('pending', 'paid', 'partially_refunded', 'refunded', 'cancelled')),
    out_trade_no TEXT UNIQUE,                  -- our number at the provider (wechat/alipay)
    reference TEXT,                            -- terminal reference, provider transaction id, bank serial
    payer_name TEXT,                           -- transfer: the paying account's name
    staff_no TEXT,
    detail TEXT NOT NULL DEFAULT '{}',         -- JSON: method-specific facts (code kind, provider state)
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    paid_at TEXT
);
-- One live payment per visit and quote: a second "pay" is refused while one is pending or paid.
CREATE UNIQUE INDEX payments_one_live ON payments (visit_id, quote_ref)
    WHERE state IN ('pending', 'paid', 'partially_refunded');
-- A card terminal reference or a bank serial is used once.
CREATE UNIQUE INDEX payments_reference ON payments (method, reference)
    WHERE reference IS NOT NULL AND method IN ('card', 'transfer');
CREATE INDEX payments_visit ON payments (visit_id, id);

CREATE TABLE payment_transitions (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    from_state TEXT,                           -- NULL for the creation
    to_state TEXT NOT NULL,
    by_staff TEXT,
    reason TEXT,
    at TEXT NOT NULL
);
CREATE INDEX payment_transitions_payment ON payment_transitions (payment_id, id);

CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    idempotency_key TEXT NOT NULL UNIQUE,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    reason TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    out_refund_no TEXT UNIQUE,
    reference TEXT,                            -- the provider's refund id
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX refunds_payment ON refunds (payment_id);

-- Invoice details (广东增值税电子普通发票) collected at the counter; the hub learns them by event.
CREATE TABLE invoice_requests (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    title TEXT NOT NULL,
    taxpayer_no TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
);
