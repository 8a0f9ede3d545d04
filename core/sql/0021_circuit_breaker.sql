-- Circuit breaker (core/src/delivery/circuit-breaker.ts; docs/delivery-control.md). A
-- subscription whose receiver keeps failing is opened: its deliveries wait instead of
-- spending attempts, and one probe at a growing interval tests the receiver; a success
-- closes it and sends the waiting work, and a receiver failing for too long disables the
-- subscription. A closed circuit has no row; the worker's circuit task
-- (worker/circuit-task.ts) writes them, the claim reads them.
SET lock_timeout = '5s';

-- The subscription's own settings; NULL: the defaults.
ALTER TABLE subscriptions ADD COLUMN circuit_breaker jsonb;

CREATE TABLE circuits (
  subscription_id   uuid PRIMARY KEY REFERENCES subscriptions (id) ON DELETE CASCADE,
  -- open: nothing is sent until open_until, when one probe is picked;
  -- probing: the probe runs; open_until is how long it may take before another is picked.
  state             text NOT NULL CHECK (state IN ('open', 'probing')),
  failing_since     timestamptz NOT NULL,  -- when it first opened in this failing spell
  opens             integer NOT NULL,      -- times opened in a row: the probe interval doubles each time
  open_until        timestamptz NOT NULL,
  probe_delivery_id uuid,
  probe_started_at  timestamptz,
  last_error        text,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The relay's own events (a circuit opened or closed, a subscription disabled) are events
-- of a system source, created the first time one is emitted: subscriptions on it act on
-- them (an incident in Opsgenie or PagerDuty). Nobody can post to it: ingest refuses it.
ALTER TABLE sources ADD COLUMN system boolean NOT NULL DEFAULT false;
