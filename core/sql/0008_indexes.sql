-- Indexes, kept apart from table DDL: the lookups each path makes.
-- events: the log per source (newest first), idempotency (unique per source), and the
-- reconciler's scan of events still waiting for fan-out.
-- deliveries: fan-out dedupe, per-event and per-subscription listings, the
-- reconciler's scan of unfinished work, and listing by status.
SET lock_timeout = '5s';

CREATE INDEX events_source_received ON events (source_id, received_at DESC);
CREATE UNIQUE INDEX events_source_idempotency ON events (source_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_fanout_pending ON events (received_at) WHERE fanout_status = 'pending';
CREATE UNIQUE INDEX deliveries_fanout_unique ON deliveries (event_id, subscription_id) WHERE origin = 'fanout';
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_subscription_created ON deliveries (subscription_id, created_at DESC);
CREATE INDEX deliveries_unfinished ON deliveries (next_attempt_at) WHERE status IN ('pending', 'delivering', 'retrying');
CREATE INDEX deliveries_status_created ON deliveries (status, created_at DESC);
CREATE INDEX subscriptions_source ON subscriptions (source_id);
CREATE INDEX transform_versions_transform ON transform_versions (transform_id, version DESC);
