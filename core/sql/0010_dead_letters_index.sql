-- The dead-letter queue lists newest first and pages by (created_at, delivery_id);
-- filters by source and subscription go through deliveries' primary key.
SET lock_timeout = '5s';

CREATE INDEX dead_letters_created ON dead_letters (created_at DESC, delivery_id DESC);
