-- Dead letters: deliveries that will not be retried again (exhausted or permanently
-- failed), written in the same transaction that sets the delivery to 'dead', so none
-- is lost between the two. The dead-letter plugin lists, replays and discards them.
SET lock_timeout = '5s';

CREATE TABLE dead_letters (
  delivery_id uuid PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
  reason      text NOT NULL CHECK (reason IN ('exhausted', 'permanent')),
  last_error  text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
