-- A delivery a person chose to give up on from the dead-letter queue: 'discarded' is
-- final like 'succeeded', so the reconciler, the retry mover and dlq_depth ignore it,
-- while the delivery and its attempt history stay for the record.
-- The CHECK is swapped in one transaction; NOT VALID then VALIDATE keeps the
-- ACCESS EXCLUSIVE lock short on a large deliveries table.
SET lock_timeout = '5s';

ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
  CHECK (status IN ('pending', 'delivering', 'succeeded', 'retrying', 'dead', 'skipped', 'discarded')) NOT VALID;
ALTER TABLE deliveries VALIDATE CONSTRAINT deliveries_status_check;
