-- Delivery attempts: what each try sent and got back, for the person debugging a
-- failure. Bodies are truncated to RELAY_ATTEMPT_BODY_MAX_BYTES and secret headers
-- are masked before they are written.
SET lock_timeout = '5s';

CREATE TABLE delivery_attempts (
  delivery_id      uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  number           integer NOT NULL CHECK (number > 0),
  started_at       timestamptz NOT NULL,
  duration_ms      integer NOT NULL,
  outcome          text NOT NULL CHECK (outcome IN ('ok', 'retry', 'fail', 'skip')),
  request_url      text,
  request_method   text,
  request_headers  jsonb,
  request_body     bytea,
  response_status  integer,
  response_headers jsonb,
  response_body    bytea,
  error            text,
  PRIMARY KEY (delivery_id, number)
);
