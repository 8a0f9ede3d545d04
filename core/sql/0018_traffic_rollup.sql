-- Per-minute traffic for the overview's charts and each subscription's health. The
-- processes count in memory and add their counts here every few seconds (one upsert per
-- table, core/src/traffic/rollup.ts), so a chart reads a few thousand rows instead of
-- scanning millions of events and deliveries. Every count is kept at two spans: one
-- minute (the last hour's chart) and fifteen (the last day's: a day of a hundred
-- subscriptions is 9,600 rows, not 144,000). Rows have no foreign keys: a count outlives
-- a deleted source in the totals, and readers join to what still exists. Retention
-- deletes rows older than two days.
SET lock_timeout = '5s';

CREATE TABLE traffic_events (
  span      smallint NOT NULL,     -- minutes: 1 or 15
  minute    timestamptz NOT NULL,  -- where the span starts
  source_id uuid NOT NULL,
  events    bigint NOT NULL,
  PRIMARY KEY (span, minute, source_id)
);

-- latency counts attempts (those that sent a request) per bucket of
-- core/src/traffic/latency.ts, the last bucket open-ended.
CREATE TABLE traffic_attempts (
  span            smallint NOT NULL,
  minute          timestamptz NOT NULL,
  subscription_id uuid NOT NULL,
  succeeded       bigint NOT NULL,
  failed          bigint NOT NULL,
  dead            bigint NOT NULL,
  skipped         bigint NOT NULL,
  latency         bigint[] NOT NULL,
  PRIMARY KEY (span, minute, subscription_id)
);
CREATE INDEX traffic_attempts_subscription ON traffic_attempts (subscription_id, span, minute);

-- The latest outcome of each subscription, kept as attempts are recorded.
CREATE TABLE subscription_health (
  subscription_id      uuid PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
  last_success_at      timestamptz,
  last_failure_at      timestamptz,
  last_error           text,
  consecutive_failures bigint NOT NULL DEFAULT 0,
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- A test event sent from the UI is delivered with origin 'test', not 'replay'. Widening
-- the check cannot fail on old rows, so it is not validated (that would scan every
-- partition under lock).
-- The constraint's name depends on the history of the database (0015 renamed the
-- table it was first made on), so it is looked up.
DO $$
DECLARE c text;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint
    WHERE conrelid = 'deliveries'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%origin%'
  LOOP
    EXECUTE format('ALTER TABLE deliveries DROP CONSTRAINT %I', c);
  END LOOP;
END $$;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_origin CHECK (origin IN ('fanout', 'replay', 'test')) NOT VALID;
