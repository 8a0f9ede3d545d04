-- A key made from a body-only signature (GitHub, Shopify, generic HMAC) deduplicates
-- within the source's replay window only: expires_at is when it stops (NULL: while the
-- event is kept). A later request with the same key then takes the key over and is a
-- new event (core/src/ingest/idempotency.ts).
SET lock_timeout = '5s';

ALTER TABLE event_idempotency ADD COLUMN expires_at timestamptz;
