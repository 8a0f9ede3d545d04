-- Enabling a subscription resumes its paused deliveries; this finds them without a
-- scan of the subscription's whole history. Kept apart from 0012: index builds are
-- never mixed with other DDL in one file.
SET lock_timeout = '5s';

CREATE INDEX deliveries_paused ON deliveries (subscription_id) WHERE status = 'paused';
