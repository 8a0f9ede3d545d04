/**
 * Retention: deletes events older than RELAY_RETENTION_DAYS whose deliveries are all
 * finished (succeeded, skipped, dead or discarded: none pending, in flight, retrying
 * or paused); deliveries, attempts and dead
 * letters go with them (ON DELETE CASCADE). Work still pending is never pruned, however
 * old. Runs hourly in small batches under a lease, so one worker does it and no batch
 * holds locks for long.
 */
import type { Logger } from 'pino'
import { sql } from 'slonik'
import type { Db } from '../db/pool.ts'
import { HELD, statusIn } from '../delivery/status.ts'
import type { RelayRedis } from '../redis/client.ts'

export const RETENTION_INTERVAL_MS = 3_600_000
const BATCH = 1000
/** Stop after this many batches per run; the next run continues. */
const MAX_BATCHES = 100

export async function pruneOnce(db: Db, days: number): Promise<number> {
  let total = 0
  for (let i = 0; i < MAX_BATCHES; i++) {
    const r = await db.query(sql.unsafe`
      DELETE FROM events WHERE id IN (
        SELECT e.id FROM events e
        WHERE e.received_at < now() - make_interval(days => ${days})
          AND e.fanout_status <> 'pending'
          AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND ${statusIn(sql.fragment`d.status`, HELD)})
        ORDER BY e.received_at LIMIT ${BATCH})`)
    total += r.rowCount
    if (r.rowCount < BATCH) break
  }
  return total
}

export function startRetention(deps: { db: Db; redis: RelayRedis; lockKey: string; days: number; log: Logger; intervalMs?: number }) {
  const interval = deps.intervalMs ?? RETENTION_INTERVAL_MS
  const tick = async () => {
    if (deps.days <= 0) return
    const got = await deps.redis.set(deps.lockKey, String(process.pid), 'PX', interval, 'NX').catch(() => null)
    if (!got) return
    try {
      const n = await pruneOnce(deps.db, deps.days)
      if (n) deps.log.info({ deleted: n, days: deps.days }, 'retention: pruned finished events')
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'retention run failed')
    }
  }
  const timer = setInterval(() => void tick(), interval)
  timer.unref()
  // First run soon after boot, not an hour later.
  const first = setTimeout(() => void tick(), 30_000)
  first.unref()
  return { stop: () => (clearInterval(timer), clearTimeout(first)), tick }
}
