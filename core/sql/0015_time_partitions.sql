-- Time-partitioned storage (docs/architecture.md, "Storage and retention").
-- events, deliveries, delivery_attempts and dead_letters are range-partitioned by their
-- UUIDv7 id (attempts and dead letters by their delivery's id). A delivery's id carries
-- its event's time (fan-out ids are derived from event and subscription, replay ids take
-- the event's millisecond), so an event and everything that hangs off it, replays and
-- their attempts included, live in partitions of the same time range. Retention drops
-- those four partitions together instead of deleting rows; the few events still holding
-- unfinished work are moved to the DEFAULT partitions first and pruned row by row later.
-- A row whose range has no partition (none created yet, a clock far off) lands in the
-- DEFAULT partition: nothing is refused; adding that range's partition moves it out.
--
-- Idempotency keys move to their own table: a unique index on a partitioned table must
-- include the partition key, so (source_id, idempotency_key) could only be unique per
-- partition, and a retried webhook arriving after a partition boundary would be stored
-- twice.
--
-- Existing rows are copied into the new tables. Deliveries created before this migration
-- get new ids with their event's time (the rest of the old id is kept, so attempts and
-- dead letters follow through the same function); their webhook ids are kept unchanged.
-- Stream entries naming an old id find no row and are dropped; the reconciler enqueues
-- the unfinished deliveries under their new ids (RELAY_RECONCILE_GRACE_MS later).
-- Partitions of one day cover the copied rows; the worker creates the later ones at the
-- configured RELAY_PARTITION_INTERVAL.
SET lock_timeout = '5s';

-- ─── ids and time ───────────────────────────────────────────────────────────────────

-- The lowest UUIDv7 of a millisecond: a partition bound is the id of its first instant.
CREATE FUNCTION relay_uuid_floor(at timestamptz) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT (lpad(to_hex(floor(extract(epoch FROM at) * 1000)::bigint), 12, '0') || repeat('0', 20))::uuid
$$;

-- The millisecond a UUIDv7 was made (its first 48 bits).
CREATE FUNCTION relay_uuid_time(id uuid) RETURNS timestamptz LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT to_timestamp(('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)
$$;

-- 16 bytes as a UUIDv7: the first 6 from `timed` (its time), the rest from `rest`, with
-- the version nibble set to 0111 and the variant bits to 10.
CREATE FUNCTION relay_uuid_with_time_of(timed uuid, rest bytea) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT encode(
    set_bit(set_bit(set_bit(set_bit(set_bit(set_bit(
      overlay(substring(rest FROM 1 FOR 16) PLACING substring(uuid_send(timed) FROM 1 FOR 6) FROM 1 FOR 6),
      52, 1), 53, 1), 54, 1), 55, 0), 70, 0), 71, 1),
    'hex')::uuid
$$;

-- A fan-out delivery's id: its event's time and a hash of (event, subscription), so the
-- fan-out is idempotent on the primary key (a re-run conflicts instead of duplicating)
-- and the delivery lives in its event's partition.
CREATE FUNCTION relay_fanout_id(event_id uuid, subscription_id uuid) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT relay_uuid_with_time_of(event_id, decode(md5(event_id::text || subscription_id::text), 'hex'))
$$;

-- ─── partition management (called by the worker's storage maintenance) ─────────────

-- The four tables partitioned together, with their partition key and their depth in the
-- foreign keys (parents first by depth, children first by depth DESC).
CREATE FUNCTION relay_partitioned_tables() RETURNS TABLE (name text, key text, depth int) LANGUAGE sql IMMUTABLE AS $$
  VALUES ('events', 'id', 0), ('deliveries', 'id', 1), ('delivery_attempts', 'delivery_id', 2), ('dead_letters', 'delivery_id', 2)
$$;

-- The range partitions of events (the other three have the same ranges and suffixes).
CREATE FUNCTION relay_partitions() RETURNS TABLE (suffix text, lower_at timestamptz, upper_at timestamptz) LANGUAGE sql STABLE AS $$
  SELECT substr(c.relname, length('events_') + 1), relay_uuid_time(m[1]::uuid), relay_uuid_time(m[2]::uuid)
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([0-9a-f-]+)''\) TO \(''([0-9a-f-]+)''\)') m
  WHERE i.inhparent = 'events'::regclass AND m IS NOT NULL
  ORDER BY 2
$$;

-- The column list of a table, for copying rows between a partition and its parent.
CREATE FUNCTION relay_columns(tbl text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = tbl::regclass AND attnum > 0 AND NOT attisdropped
$$;

-- Adds the partitions of [lower_at, upper_at) to the four tables. Rows of that range
-- already in a DEFAULT partition are moved into the new partition first (children first,
-- so no ON DELETE CASCADE fires), then the partitions are attached (parents first, so
-- the foreign keys validate). ATTACH takes only SHARE UPDATE EXCLUSIVE on the parent:
-- ingest and delivery go on while it runs.
CREATE FUNCTION relay_partition_add(lower_at timestamptz, upper_at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  suffix text := 'p' || to_char(lower_at AT TIME ZONE 'UTC', 'YYYYMMDD"t"HH24MISS');
  lo uuid := relay_uuid_floor(lower_at);
  hi uuid := relay_uuid_floor(upper_at);
  t record;
BEGIN
  IF upper_at <= lower_at THEN
    RAISE EXCEPTION 'partition range [%, %) is empty', lower_at, upper_at;
  END IF;
  LOCK TABLE events_default, deliveries_default, delivery_attempts_default, dead_letters_default IN ACCESS EXCLUSIVE MODE;
  FOR t IN SELECT * FROM relay_partitioned_tables() LOOP
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)', t.name || '_' || suffix, t.name);
  END LOOP;
  FOR t IN SELECT * FROM relay_partitioned_tables() ORDER BY depth DESC LOOP
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING %s) INSERT INTO %I (%s) SELECT * FROM moved',
      t.name || '_default', t.key, lo, t.key, hi, relay_columns(t.name), t.name || '_' || suffix, relay_columns(t.name));
  END LOOP;
  FOR t IN SELECT * FROM relay_partitioned_tables() ORDER BY depth LOOP
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', t.name, t.name || '_' || suffix, lo, hi);
  END LOOP;
  RETURN suffix;
END
$$;

-- Turns autovacuum off on the partitions `suffix` of the four tables, ahead of retiring
-- them: it needs only SHARE UPDATE EXCLUSIVE on those partitions (no conflict with the
-- delivery path) and, waiting past deadlock_timeout, cancels an autovacuum at work
-- there, so the retire itself can run with a lock timeout too short to ever win a
-- deadlock against the delivery path. Vacuuming a range about to be dropped is wasted.
CREATE FUNCTION relay_partition_quiesce(suffix text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM relay_partitioned_tables() LOOP
    EXECUTE format('ALTER TABLE %I SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)', t.name || '_' || suffix);
  END LOOP;
END
$$;

-- Drops the partitions `suffix` of the four tables (retention). Events still holding
-- unfinished work (fan-out pending, or a delivery in one of the `held` states, passed in
-- by the caller from core/src/delivery/status.ts) are kept: they, their deliveries,
-- attempts and dead letters are copied to the DEFAULT partitions first. Deliveries
-- elsewhere whose event goes (made before delivery ids carried their event's time) go
-- too, with their attempts and dead letters. Returns the number of events kept.
CREATE FUNCTION relay_partition_retire(suffix text, held text[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  lo uuid;
  hi uuid;
  kept uuid[];
  t record;
BEGIN
  SELECT relay_uuid_floor(p.lower_at), relay_uuid_floor(p.upper_at) INTO lo, hi
  FROM relay_partitions() p WHERE p.suffix = relay_partition_retire.suffix;
  IF lo IS NULL THEN
    RAISE EXCEPTION 'no partition %', suffix;
  END IF;
  -- The parents only (ONLY: not every partition, which would wait for autovacuum on
  -- the busy ones), in the order the delivery path takes them.
  LOCK TABLE ONLY events, ONLY deliveries, ONLY delivery_attempts, ONLY dead_letters IN ACCESS EXCLUSIVE MODE;
  FOR t IN SELECT * FROM relay_partitioned_tables() ORDER BY depth DESC LOOP
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', t.name, t.name || '_' || suffix);
  END LOOP;

  EXECUTE format($q$
    SELECT coalesce(array_agg(DISTINCT id), '{}') FROM (
      SELECT e.id FROM %I e WHERE e.fanout_status = 'pending'
      UNION ALL SELECT d.event_id FROM %I d WHERE d.status = ANY($1)
      UNION ALL SELECT d.event_id FROM deliveries d WHERE d.event_id >= $2 AND d.event_id < $3 AND d.status = ANY($1)
    ) k$q$, 'events_' || suffix, 'deliveries_' || suffix) INTO kept USING held, lo, hi;

  IF cardinality(kept) > 0 THEN
    EXECUTE format('INSERT INTO events (%s) SELECT %s FROM %I WHERE id = ANY($1)',
      relay_columns('events'), relay_columns('events'), 'events_' || suffix) USING kept;
    EXECUTE format('INSERT INTO deliveries (%s) SELECT %s FROM %I WHERE event_id = ANY($1)',
      relay_columns('deliveries'), relay_columns('deliveries'), 'deliveries_' || suffix) USING kept;
    FOR t IN SELECT * FROM relay_partitioned_tables() WHERE depth = 2 LOOP
      EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM %I WHERE delivery_id IN (SELECT id FROM %I WHERE event_id = ANY($1))',
        t.name, relay_columns(t.name), relay_columns(t.name), t.name || '_' || suffix, 'deliveries_' || suffix) USING kept;
    END LOOP;
  END IF;
  WITH gone AS (DELETE FROM deliveries d WHERE d.event_id >= lo AND d.event_id < hi AND d.event_id <> ALL (kept) RETURNING d.id),
    attempts_gone AS (DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM gone))
  DELETE FROM dead_letters WHERE delivery_id IN (SELECT id FROM gone);

  FOR t IN SELECT * FROM relay_partitioned_tables() ORDER BY depth DESC LOOP
    EXECUTE format('DROP TABLE %I', t.name || '_' || suffix);
  END LOOP;
  RETURN cardinality(kept);
END
$$;

-- ─── the tables, partitioned ────────────────────────────────────────────────────────

-- The old tables step aside under legacy_ names until their rows are copied; their
-- secondary indexes are dropped so the new tables can take the names.
DROP INDEX events_fanout_pending, events_source_idempotency, events_source_received,
  deliveries_event, deliveries_fanout_unique, deliveries_paused, deliveries_status_created,
  deliveries_subscription_created, deliveries_unfinished, dead_letters_created;
ALTER TABLE events RENAME TO legacy_events;
ALTER TABLE legacy_events RENAME CONSTRAINT events_pkey TO legacy_events_pkey;
ALTER TABLE deliveries RENAME TO legacy_deliveries;
ALTER TABLE legacy_deliveries RENAME CONSTRAINT deliveries_pkey TO legacy_deliveries_pkey;
ALTER TABLE delivery_attempts RENAME TO legacy_delivery_attempts;
ALTER TABLE legacy_delivery_attempts RENAME CONSTRAINT delivery_attempts_pkey TO legacy_delivery_attempts_pkey;
ALTER TABLE dead_letters RENAME TO legacy_dead_letters;
ALTER TABLE legacy_dead_letters RENAME CONSTRAINT dead_letters_pkey TO legacy_dead_letters_pkey;

CREATE TABLE events (
  id              uuid NOT NULL,
  source_id       uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  received_at     timestamptz NOT NULL DEFAULT now(),
  content_type    text,
  headers         jsonb NOT NULL DEFAULT '{}',
  body            bytea NOT NULL,
  idempotency_key text,
  fanout_status   text NOT NULL DEFAULT 'pending' CHECK (fanout_status IN ('pending', 'done', 'recorded')),
  traceparent     text,
  PRIMARY KEY (id)
) PARTITION BY RANGE (id);

-- No foreign keys between the four: their rows leave together with their time range,
-- and deleting a subscription deletes its deliveries' attempts and dead letters itself
-- (core/src/store/subscriptions.ts). A key between partitioned tables would make adding
-- a partition lock the referencing table and all its partitions (waiting for autovacuum
-- on the busy ones), and its check would lock the referenced row for every insert.
CREATE TABLE deliveries (
  id              uuid NOT NULL,
  event_id        uuid NOT NULL,
  subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  origin          text NOT NULL DEFAULT 'fanout' CHECK (origin IN ('fanout', 'replay')),
  webhook_id      text NOT NULL,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'delivering', 'succeeded', 'retrying', 'dead', 'skipped', 'discarded', 'paused')),
  attempt_count   integer NOT NULL DEFAULT 0,
  attempt_seq     integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until     timestamptz,
  last_error      text,
  dead_reason     text CHECK (dead_reason IN ('exhausted', 'permanent')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  claim_token     integer NOT NULL DEFAULT 0,
  claimed_by      text,
  PRIMARY KEY (id)
) PARTITION BY RANGE (id);

CREATE TABLE delivery_attempts (
  delivery_id           uuid NOT NULL,
  number                integer NOT NULL CHECK (number > 0),
  started_at            timestamptz NOT NULL,
  duration_ms           integer NOT NULL,
  outcome               text NOT NULL CHECK (outcome IN ('ok', 'retry', 'fail', 'skip')),
  request_url           text,
  request_method        text,
  request_headers       jsonb,
  request_body          bytea,
  response_status       integer,
  response_headers      jsonb,
  response_body         bytea,
  error                 text,
  request_body_is_event boolean NOT NULL DEFAULT false,
  PRIMARY KEY (delivery_id, number)
) PARTITION BY RANGE (delivery_id);

CREATE TABLE dead_letters (
  delivery_id uuid NOT NULL,
  reason      text NOT NULL CHECK (reason IN ('exhausted', 'permanent')),
  last_error  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (delivery_id)
) PARTITION BY RANGE (delivery_id);

CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE TABLE deliveries_default PARTITION OF deliveries DEFAULT;
CREATE TABLE delivery_attempts_default PARTITION OF delivery_attempts DEFAULT;
CREATE TABLE dead_letters_default PARTITION OF dead_letters DEFAULT;

-- The same lookups as before (0008, 0010, 0013), minus the two unique ones: fan-out
-- dedupe is now the primary key (relay_fanout_id), idempotency has its own table.
CREATE INDEX events_source_received ON events (source_id, received_at DESC);
CREATE INDEX events_fanout_pending ON events (received_at) WHERE fanout_status = 'pending';
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_subscription_created ON deliveries (subscription_id, created_at DESC);
CREATE INDEX deliveries_unfinished ON deliveries (next_attempt_at) WHERE status IN ('pending', 'delivering', 'retrying');
CREATE INDEX deliveries_status_created ON deliveries (status, created_at DESC);
CREATE INDEX deliveries_paused ON deliveries (subscription_id) WHERE status = 'paused';
CREATE INDEX dead_letters_created ON dead_letters (created_at DESC, delivery_id DESC);

-- Idempotency keys, unique per source across all partitions. event_id orders them by
-- time, so retention deletes the keys of dropped partitions by range.
CREATE TABLE event_idempotency (
  source_id       uuid NOT NULL,
  idempotency_key text NOT NULL,
  event_id        uuid NOT NULL,
  PRIMARY KEY (source_id, idempotency_key)
);
CREATE INDEX event_idempotency_event ON event_idempotency (event_id);

-- ─── copy the old rows ──────────────────────────────────────────────────────────────

-- Partitions for the copied rows: one a day, or longer ranges when the history is long
-- (at most about 60), the last ending now. The worker adds the next ones.
DO $$
DECLARE
  first_at timestamptz;
  step interval;
  at timestamptz;
  stop_at timestamptz := clock_timestamp();
BEGIN
  SELECT min(relay_uuid_time(id)) INTO first_at FROM legacy_events
  WHERE substr(id::text, 15, 1) = '7' AND relay_uuid_time(id) BETWEEN stop_at - interval '20 years' AND stop_at;
  IF first_at IS NULL THEN
    RETURN;
  END IF;
  step := make_interval(days => greatest(1, ceil(extract(epoch FROM stop_at - first_at) / 86400 / 60)::int));
  at := date_trunc('day', first_at);
  WHILE at < stop_at LOOP
    PERFORM relay_partition_add(at, least(at + step, stop_at));
    at := at + step;
  END LOOP;
END
$$;

INSERT INTO events SELECT id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status, traceparent FROM legacy_events;
INSERT INTO event_idempotency (source_id, idempotency_key, event_id)
  SELECT source_id, idempotency_key, id FROM legacy_events WHERE idempotency_key IS NOT NULL;
INSERT INTO deliveries (id, event_id, subscription_id, origin, webhook_id, status, attempt_count, attempt_seq, next_attempt_at,
    lease_until, last_error, dead_reason, created_at, updated_at, completed_at, claim_token, claimed_by)
  SELECT relay_uuid_with_time_of(event_id, uuid_send(id)), event_id, subscription_id, origin, webhook_id, status, attempt_count, attempt_seq,
    next_attempt_at, lease_until, last_error, dead_reason, created_at, updated_at, completed_at, claim_token, claimed_by
  FROM legacy_deliveries;
INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, outcome, request_url, request_method, request_headers,
    request_body, response_status, response_headers, response_body, error, request_body_is_event)
  SELECT relay_uuid_with_time_of(d.event_id, uuid_send(a.delivery_id)), a.number, a.started_at, a.duration_ms, a.outcome, a.request_url,
    a.request_method, a.request_headers, a.request_body, a.response_status, a.response_headers, a.response_body, a.error, a.request_body_is_event
  FROM legacy_delivery_attempts a JOIN legacy_deliveries d ON d.id = a.delivery_id;
INSERT INTO dead_letters (delivery_id, reason, last_error, created_at)
  SELECT relay_uuid_with_time_of(d.event_id, uuid_send(l.delivery_id)), l.reason, l.last_error, l.created_at
  FROM legacy_dead_letters l JOIN legacy_deliveries d ON d.id = l.delivery_id;

DROP TABLE legacy_dead_letters, legacy_delivery_attempts, legacy_deliveries, legacy_events;
