-- The circuit's probe is recognised by its attempt number (the first attempt numbered
-- above the delivery's attempt_seq when it was picked), not by comparing the database's
-- clock with the worker's that timed the attempt.
SET lock_timeout = '5s';

ALTER TABLE circuits ADD COLUMN probe_attempt_seq integer;
