-- The W3C traceparent of the ingest request that stored each event (NULL when tracing
-- is off). Retried, reconciled and replayed deliveries are read from streams entries
-- that carry no trace context; their attempt spans link back to the webhook's original
-- trace through this value. Nullable and without a default, so adding it rewrites
-- nothing.
SET lock_timeout = '5s';

ALTER TABLE events ADD COLUMN traceparent text;
