-- Events: every accepted webhook, raw bytes kept exactly as received.
-- fanout_status is the reconciler's view of the first hop: 'pending' until the
-- fan-out stage has created the deliveries, 'done' after, 'recorded' for sources in
-- record mode (stored, not fanned out). The idempotency key is unique per source.
SET lock_timeout = '5s';

CREATE TABLE events (
  id              uuid PRIMARY KEY,
  source_id       uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  received_at     timestamptz NOT NULL DEFAULT now(),
  content_type    text,
  headers         jsonb NOT NULL DEFAULT '{}',
  body            bytea NOT NULL,
  idempotency_key text,
  fanout_status   text NOT NULL DEFAULT 'pending' CHECK (fanout_status IN ('pending', 'done', 'recorded'))
);
