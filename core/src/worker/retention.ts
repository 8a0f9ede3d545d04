/**
 * Storage lifecycle: the worker keeps time partitions ahead of the clock and retires the
 * expired ones (core/src/store/partitions.ts, sql/0015). Retention is a duration
 * (RELAY_RETENTION); data lives between the retention and the retention plus one
 * partition interval. Dropping a partition costs the same whatever its size, so retention
 * keeps up at any ingest rate. Unfinished work is never dropped: its events move to the
 * DEFAULT partitions and are pruned there once finished. The overview's per-minute counts
 * are kept two days whatever the retention. One worker does it at a time,
 * under a Redis lease.
 */
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import type { RelayRedis } from '../redis/client.ts'
import { addPartition, listPartitions, pruneDefault, pruneKeys, retirePartition, type Partition } from '../store/partitions.ts'
import { pruneTraffic } from '../store/traffic.ts'
import { withLease } from '../redis/lease.ts'

export interface StoragePolicy {
  /** How long finished events are kept; 0 keeps everything. */
  readonly retentionMs: number
  /** The time range of one partition. */
  readonly partitionIntervalMs: number
}

/** Often enough that the next partition exists long before it is needed. */
export function maintenanceEveryMs(policy: StoragePolicy): number {
  return Math.max(1000, Math.min(60_000, Math.floor(policy.partitionIntervalMs / 4)))
}

export interface StoragePlan {
  /** Ranges to add, oldest first. */
  readonly add: readonly { lowerAt: number; upperAt: number }[]
  /** Partitions past retention, oldest first. */
  readonly retire: readonly string[]
}

/**
 * How far in the future a partition that starts off the regular schedule begins. A
 * partition must never be attached over a range the api may be inserting into at that
 * moment: an INSERT routed to DEFAULT just before the ATTACH commits fails its partition
 * check after it. Ranges ahead of the clock are safe; this margin covers clock skew
 * between the api hosts and the worker, and inserts already in flight.
 */
export const START_MARGIN_MS = 30_000

/**
 * What to do now. Partitions exist for the current range and the next one, boundaries at
 * multiples of the interval since the epoch. With none yet (a fresh install), or after a
 * gap (the clock passed the last one: no worker ran for a while), the first new one starts START_MARGIN_MS from now and
 * ends at the next boundary; what was stored before it stays in DEFAULT and is pruned row
 * by row after the retention.
 */
export function planStorage(existing: readonly Partition[], now: number, policy: StoragePolicy): StoragePlan {
  const interval = policy.partitionIntervalMs
  const boundaryAfter = (t: number) => Math.floor(t / interval) * interval + interval
  const add: { lowerAt: number; upperAt: number }[] = []
  // Partitions that still reach past the clock are continued where they end, however
  // late this run is (an insert that races the attach retries: store/events.ts). Only
  // when the clock has passed the last one (or there is none) does a gap start.
  const last = existing.at(-1)?.upper_at
  let start = last !== undefined && last > now ? last : now + START_MARGIN_MS
  // Far enough ahead that at the next tick the last partition still ends beyond the margin.
  const horizon = now + Math.max(interval, START_MARGIN_MS) + 2 * maintenanceEveryMs(policy)
  while (start <= horizon) {
    const upperAt = boundaryAfter(start)
    add.push({ lowerAt: start, upperAt })
    start = upperAt
  }
  const retire = policy.retentionMs > 0 ? existing.filter((p) => p.upper_at <= now - policy.retentionMs).map((p) => p.suffix) : []
  return { add, retire }
}

export interface StorageRun {
  readonly added: readonly string[]
  readonly retired: readonly string[]
  /** Events retention kept back because they still hold unfinished work. */
  readonly kept: number
  /** Rows pruned one by one: finished events from DEFAULT, and idempotency keys. */
  readonly prunedEvents: number
  readonly prunedKeys: number
  /** Per-minute traffic counts older than two days. */
  readonly prunedTraffic: number
}

export async function maintainStorage(db: Db, policy: StoragePolicy, now = Date.now()): Promise<StorageRun> {
  const plan = planStorage(await listPartitions(db), now, policy)
  const added: string[] = []
  for (const r of plan.add) added.push(await addPartition(db, r.lowerAt, r.upperAt))
  let kept = 0
  for (const suffix of plan.retire) kept += await retirePartition(db, suffix)
  let prunedEvents = 0
  let prunedKeys = 0
  if (policy.retentionMs > 0) {
    prunedEvents = await pruneDefault(db, now - policy.retentionMs)
    const oldest = (await listPartitions(db))[0]
    if (oldest && plan.retire.length) prunedKeys = await pruneKeys(db, oldest.lower_at)
  }
  const prunedTraffic = await pruneTraffic(db, now)
  return { added, retired: plan.retire, kept, prunedEvents, prunedKeys, prunedTraffic }
}


/** Longer than any maintenance run. */
const LEASE_MS = 10 * 60_000

export function startRetention(deps: { db: Db; redis: RelayRedis; lockKey: string; policy: StoragePolicy; log: Logger; intervalMs?: number }) {
  const every = deps.intervalMs ?? maintenanceEveryMs(deps.policy)
  let running: Promise<void> | undefined
  const run = async () => {
    // The lease outlasts any run (a run that overran it could meet a second one).
    try {
      await withLease(deps.redis, deps.lockKey, LEASE_MS, async () => {
        const r = await maintainStorage(deps.db, deps.policy)
        if (r.added.length || r.retired.length || r.prunedEvents || r.prunedKeys || r.prunedTraffic) deps.log.info(r, 'storage: partitions maintained')
        if (r.kept) deps.log.warn({ kept: r.kept, retired: r.retired }, 'retention kept events with unfinished work (moved to the default partitions)')
      })
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'storage maintenance failed; retrying at the next tick')
    }
  }
  const tick = () => (running ??= run().finally(() => (running = undefined)))
  const timer = setInterval(() => void tick(), every)
  timer.unref()
  // At boot, not a tick later: ingest before the first partition lands in DEFAULT.
  void tick()
  return {
    stop: () => clearInterval(timer),
    tick,
  }
}
