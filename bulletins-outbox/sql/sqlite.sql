-- The bulletins outbox, SQLite. `migrate()` runs this file with `bulletins_outbox` replaced by
-- the configured table name; it is idempotent. Times are milliseconds since the UNIX epoch from
-- the database's clock, so every relay measures leases with the same clock.
CREATE TABLE IF NOT EXISTS bulletins_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so an operator's id stays unambiguous
    account      TEXT    NOT NULL,                  -- the CleverTap account it goes to
    event        TEXT    NOT NULL,                  -- the business event's name, for operators
    body         TEXT    NOT NULL,                  -- the validated JSON payload, sent as is
    state        TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'claimed', 'sending', 'delivered', 'refused', 'uncertain')),
    attempts     INTEGER NOT NULL DEFAULT 0,        -- claims so far
    created_at   INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
    available_at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
    claim_token  TEXT,                              -- the claiming relay's token; guards every update
    lease_until  INTEGER,                           -- when a claimed or sending row's lease expires
    sent_at      INTEGER,                           -- when it was marked sending
    finished_at  INTEGER,                           -- when it reached delivered, refused or uncertain
    targets      INTEGER,                           -- CleverTap's `targets`, once delivered
    last_error   TEXT
);
-- The claim query: pending rows of one account, due first. Partial, so it only holds the backlog.
CREATE INDEX IF NOT EXISTS bulletins_outbox_claim
    ON bulletins_outbox (account, available_at, id) WHERE state = 'pending';
-- The sweeper: leases in flight.
CREATE INDEX IF NOT EXISTS bulletins_outbox_lease
    ON bulletins_outbox (lease_until) WHERE state IN ('claimed', 'sending');
-- Retention: delivered rows by age.
CREATE INDEX IF NOT EXISTS bulletins_outbox_done
    ON bulletins_outbox (finished_at) WHERE state = 'delivered';
-- Operators: the rows waiting for a person.
CREATE INDEX IF NOT EXISTS bulletins_outbox_uncertain
    ON bulletins_outbox (id) WHERE state = 'uncertain';
