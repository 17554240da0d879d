-- The bulletins outbox, PostgreSQL. `migrate()` runs this file with `bulletins_outbox` replaced
-- by the configured table name, under an advisory lock; it is idempotent. It runs it only when
-- the catalog lacks the table or an index the file creates, or holds one it drops: on a current
-- schema `migrate()` takes no lock. Times are milliseconds since the UNIX epoch from the
-- database's clock, so every relay measures leases with the same clock; statements read it with
-- `statement_timestamp()` (stable, so a comparison with it is an index condition).
CREATE TABLE IF NOT EXISTS bulletins_outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account      TEXT   NOT NULL,                   -- the CleverTap account it goes to
    event        TEXT   NOT NULL,                   -- the business event's name, for operators
    body         TEXT   NOT NULL,                   -- the validated JSON payload, sent as is
    state        TEXT   NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'claimed', 'sending', 'delivered', 'refused', 'uncertain')),
    attempts     BIGINT NOT NULL DEFAULT 0,         -- claims so far
    created_at   BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT,
    available_at BIGINT NOT NULL DEFAULT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT,
    claim_token  TEXT,                              -- the claiming relay's token; guards every update
    lease_until  BIGINT,                            -- when a claimed or sending row's lease expires
    sent_at      BIGINT,                            -- when it was marked sending
    finished_at  BIGINT,                            -- when it reached delivered, refused or uncertain
    targets      BIGINT,                            -- CleverTap's `targets`, once delivered
    last_error   TEXT
);
-- Every statement the relay runs on each loop or sweep finds its rows through one of these
-- partial indexes, each on the rows of one state (`state = '...'`, written exactly so: SQLite
-- uses a partial index only when the query repeats its condition), so each stays small however
-- much the table churns, and counting a state reads only its index.
-- The claim query: pending rows of one account, due first.
CREATE INDEX IF NOT EXISTS bulletins_outbox_claim
    ON bulletins_outbox (account, available_at, id) WHERE state = 'pending';
-- The sweeper: expired claims, and expired sends.
CREATE INDEX IF NOT EXISTS bulletins_outbox_claimed
    ON bulletins_outbox (lease_until) WHERE state = 'claimed';
CREATE INDEX IF NOT EXISTS bulletins_outbox_sending
    ON bulletins_outbox (lease_until) WHERE state = 'sending';
-- Retention: delivered rows by age.
CREATE INDEX IF NOT EXISTS bulletins_outbox_done
    ON bulletins_outbox (finished_at) WHERE state = 'delivered';
-- Operators: the rows waiting for a person, and the refused ones (counted by `status`).
CREATE INDEX IF NOT EXISTS bulletins_outbox_uncertain
    ON bulletins_outbox (id) WHERE state = 'uncertain';
CREATE INDEX IF NOT EXISTS bulletins_outbox_refused
    ON bulletins_outbox (id) WHERE state = 'refused';
-- Replaced by `_claimed` and `_sending` (a partial index on both states, which SQLite could not
-- use for a query on one of them).
DROP INDEX IF EXISTS bulletins_outbox_lease;
