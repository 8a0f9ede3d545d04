/**
 * Time partitions of events, deliveries, delivery_attempts and dead_letters (sql/0015):
 * which exist, adding the next, retiring expired ones, and the row-by-row pruning of what
 * lives outside them (the DEFAULT partitions and the idempotency keys). The DDL itself
 * is in the SQL functions the migration defines, so it runs in one transaction each.
 */
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import { pgErrorCode, type Db, type Queryable } from '../db/pool.ts'
import { HELD } from '../delivery/status.ts'
import { deleteDeliveriesWhere } from './delivery-rows.ts'

export const Partition = Type.Object({ suffix: Type.String(), lower_at: Type.Number(), upper_at: Type.Number() })
export type Partition = Static<typeof Partition>
const PartitionRow = row(Partition)
const SuffixRow = row(Type.Object({ suffix: Type.String() }))
const KeptRow = row(Type.Object({ kept: Type.Integer() }))
const CountRow = row(Type.Object({ n: Type.Integer() }))

/** Range partitions, oldest first (times in ms). */
export async function listPartitions(db: Queryable): Promise<readonly Partition[]> {
  return db.any(sql.type(PartitionRow)`
    SELECT suffix, (extract(epoch FROM lower_at) * 1000)::float8 AS lower_at, (extract(epoch FROM upper_at) * 1000)::float8 AS upper_at
    FROM relay_partitions()`)
}

/**
 * How long partition DDL waits for each lock before it gives way and tries again. A lock
 * cycle with the delivery path is broken by PostgreSQL's deadlock check, which aborts the
 * side whose wait reaches deadlock_timeout (1 s) first. The DDL takes at most eight
 * locks, each waited for at most these few hundred milliseconds, so it always gives up
 * before that check: an ingest or a delivery may wait that long, once per interval, and
 * never fails for it. Autovacuum, which yields only to a wait past deadlock_timeout, is
 * first turned off on the partitions to retire by a step that conflicts with nothing on
 * the delivery path (relay_partition_quiesce).
 */
export const ADD_LOCK_TIMEOUT_MS = 150
export const RETIRE_LOCK_TIMEOUT_MS = 100
/** Past deadlock_timeout: an autovacuum of the partitions to retire is cancelled for it. */
export const QUIESCE_LOCK_TIMEOUT_MS = 1_500
const DDL_TRIES = 8
const LOCK_CONFLICT = new Set(['55P03', '40P01'])

async function withShortLocks<T>(db: Db, lockTimeoutMs: number, run: (tx: Queryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        await tx.query(sql.unsafe`SELECT set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`)
        return run(tx)
      })
    } catch (err) {
      const code = pgErrorCode(err)
      if (attempt >= DDL_TRIES || !code || !LOCK_CONFLICT.has(code)) throw err
      await new Promise((r) => setTimeout(r, 100 * attempt + Math.random() * 200))
    }
  }
}

/** Adds the partitions of [lowerAt, upperAt) to the four tables; rows of that range in DEFAULT move in. */
export async function addPartition(db: Db, lowerAt: number, upperAt: number): Promise<string> {
  return withShortLocks(db, ADD_LOCK_TIMEOUT_MS, (tx) =>
    tx.oneFirst(sql.type(SuffixRow)`
      SELECT relay_partition_add(to_timestamp(${lowerAt / 1000}), to_timestamp(${upperAt / 1000})) AS suffix`),
  )
}

/**
 * Drops one time range of the four tables. Events still holding unfinished work stay
 * (moved to DEFAULT with everything of theirs). Returns how many events were kept.
 */
export async function retirePartition(db: Db, suffix: string): Promise<number> {
  // First autovacuum off on those partitions (a lock nothing on the delivery path takes),
  // so the retire's own waits stay far below deadlock_timeout.
  await withShortLocks(db, QUIESCE_LOCK_TIMEOUT_MS, (tx) => tx.query(sql.unsafe`SELECT relay_partition_quiesce(${suffix})`))
  return withShortLocks(db, RETIRE_LOCK_TIMEOUT_MS, (tx) =>
    tx.oneFirst(sql.type(KeptRow)`
      SELECT relay_partition_retire(${suffix}, ${sql.array([...HELD], 'text')}) AS kept`),
  )
}

const BATCH = 5000

/**
 * Events in the DEFAULT partitions older than the cutoff whose work is finished, deleted
 * in batches with their deliveries, attempts, dead letters and keys. DEFAULT holds only
 * what retention kept and rows that had no partition, so this is small; it loops until done rather than stopping at a cap.
 */
export async function pruneDefault(db: Db, cutoffMs: number): Promise<number> {
  let total = 0
  for (;;) {
    const n = await db.oneFirst(sql.type(CountRow)`
      WITH gone AS (
        DELETE FROM events_default WHERE id IN (
          SELECT e.id FROM events_default e
          WHERE e.received_at < to_timestamp(${cutoffMs / 1000}) AND e.fanout_status <> 'pending'
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status = ANY(${sql.array([...HELD], 'text')}))
          LIMIT ${BATCH})
        RETURNING id
      ), ${deleteDeliveriesWhere(sql.fragment`event_id IN (SELECT id FROM gone)`)}, keys_gone AS (
        DELETE FROM event_idempotency WHERE event_id IN (SELECT id FROM gone)
      )
      SELECT count(*)::int AS n FROM gone`)
    total += n
    if (n < BATCH) return total
  }
}

/**
 * Idempotency keys of events that are gone, below the oldest partition (retired ranges),
 * deleted in batches. A key whose event is still kept in DEFAULT stays.
 */
export async function pruneKeys(db: Db, belowMs: number): Promise<number> {
  let total = 0
  for (;;) {
    const n = await db.oneFirst(sql.type(CountRow)`
      WITH gone AS (
        DELETE FROM event_idempotency WHERE ctid = ANY(ARRAY(
          SELECT k.ctid FROM event_idempotency k
          WHERE k.event_id < relay_uuid_floor(to_timestamp(${belowMs / 1000}))
            AND NOT EXISTS (SELECT 1 FROM events_default e WHERE e.id = k.event_id)
          LIMIT ${BATCH}))
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM gone`)
    total += n
    if (n < BATCH) return total
  }
}
