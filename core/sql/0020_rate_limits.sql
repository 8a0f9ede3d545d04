-- Rate limits per subscription (core/src/delivery/rate-limit.ts; docs/delivery-control.md):
-- the subscription's own limit, or NULL for its action's default (or none). Deliveries
-- over the limit are handed back to wait for the slot the shared token bucket (Redis)
-- reserved for them: throttled_until is that slot, NULL for every other delivery, so
-- the claim knows a returning delivery already holds its place in line. The traffic
-- rollup counts the hand-backs per subscription and minute for the UI.
SET lock_timeout = '5s';

ALTER TABLE subscriptions ADD COLUMN rate_limit jsonb;
ALTER TABLE deliveries ADD COLUMN throttled_until timestamptz;
ALTER TABLE traffic_attempts ADD COLUMN throttled bigint NOT NULL DEFAULT 0;
-- The subscription page's "waiting for the rate limit" count: only throttled rows.
CREATE INDEX deliveries_throttled ON deliveries (subscription_id) WHERE throttled_until IS NOT NULL;
