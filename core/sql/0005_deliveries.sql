-- Deliveries: one event sent to one subscription, and its state machine
-- (pending -> delivering -> succeeded | retrying | dead | skipped; transitions live in
-- core/src/delivery/transitions.ts). origin 'fanout' rows are unique per
-- (event, subscription) so a re-run fan-out creates nothing twice; 'replay' rows are
-- deliberate extra deliveries. lease_until fences a claimed delivery so a duplicate
-- stream entry cannot run it twice while a live worker holds it. attempt_count is the
-- retry budget (reset by a dead-letter replay); attempt_seq numbers every attempt ever
-- made, so the attempt history survives replays.
SET lock_timeout = '5s';

CREATE TABLE deliveries (
  id              uuid PRIMARY KEY,
  event_id        uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  origin          text NOT NULL DEFAULT 'fanout' CHECK (origin IN ('fanout', 'replay')),
  webhook_id      text NOT NULL,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'delivering', 'succeeded', 'retrying', 'dead', 'skipped')),
  attempt_count   integer NOT NULL DEFAULT 0,
  attempt_seq     integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until     timestamptz,
  last_error      text,
  dead_reason     text CHECK (dead_reason IN ('exhausted', 'permanent')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz
);
