-- Fenced claims and paused deliveries (core/src/delivery/transitions.ts).
-- claim_token is the fencing token: every claim increments it and every later write of
-- that claim (defer, record) requires it unchanged, so a worker whose lease was taken
-- over changes nothing. claimed_by names the worker (its stream consumer) that holds
-- the claim, so a worker whose liveness key lapsed can have its claims taken over at
-- once instead of after the lease. 'paused' holds the unfinished deliveries of a
-- disabled subscription until it is enabled again.
-- relay_uuid_v7() gives rows created inside SQL (fan-out) the same time-ordered ids
-- as the rest of the store (core/src/store/ids.ts); PostgreSQL 15 has no uuidv7().
SET lock_timeout = '5s';

ALTER TABLE deliveries ADD COLUMN claim_token integer NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN claimed_by text;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
  CHECK (status IN ('pending', 'delivering', 'succeeded', 'retrying', 'dead', 'skipped', 'discarded', 'paused')) NOT VALID;
ALTER TABLE deliveries VALIDATE CONSTRAINT deliveries_status_check;

-- A UUIDv4 with its first 48 bits replaced by the Unix time in ms and the version
-- nibble set to 7 (bits 52 and 53 of the v4 nibble 0100 make 0111).
CREATE FUNCTION relay_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
        FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;
