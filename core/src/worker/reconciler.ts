/**
 * Reconciler: Postgres is the source of truth, so anything it calls unfinished that no
 * stream or retry set holds is put back. Two modes:
 *  - Redis lost its data (the epoch key is gone: restart without persistence, FLUSHALL):
 *    re-enqueue everything unfinished at once, retries at their due time.
 *  - Otherwise: only work overdue by more than `graceMs`, and only while the consumer
 *    group has read everything in its stream (lag 0), so a long backlog is not mistaken
 *    for lost entries. Duplicates are harmless: fan-out is idempotent and a delivery
 *    runs only when its claim succeeds.
 * It also resumes paused deliveries whose subscription is enabled again (a claim that
 * read the switch just before it flipped can pause one after the resume ran).
 * One worker at a time runs it (a short Redis lease).
 */
import type { Logger } from 'pino'
import { sql } from 'slonik'
import Type from 'typebox'
import type { Db } from '../db/pool.ts'
import { row } from '../db/row.ts'
import { Status, statusIn, statusIs, UNFINISHED } from '../delivery/status.ts'
import { resumeStrayPaused } from '../delivery/transitions.ts'
import { enqueueDeliveries, enqueueEvents, scheduleRetries } from '../queue/enqueue.ts'
import type { RelayRedis } from '../redis/client.ts'
import { DELIVER_GROUP, FANOUT_GROUP, type Keys } from '../redis/keys.ts'
import { withLease } from '../redis/lease.ts'
import { every } from './periodic.ts'
import { ensureGroup } from './stream-consumer.ts'
import { groupLag } from './stream-info.ts'

const BATCH = 1000
const STATUS = sql.fragment`status`
const EventIds = row(Type.Object({ id: Type.String() }))
const Unfinished = row(Type.Object({ id: Type.String(), status: Type.String(), next_attempt_at: Type.Number() }))

export interface ReconcileReport {
  mode: 'full' | 'overdue'
  events: number
  deliveries: number
  retries: number
}

export function createReconciler(deps: { db: Db; redis: RelayRedis; keys: Keys; log: Logger; graceMs: number; lockMs: number }) {
  const { db, redis, keys, log } = deps

  function run(): Promise<ReconcileReport | null> {
    return withLease(redis, keys.reconcilerLock, deps.lockMs, async () => {
      // SET NX tells us in one step whether the epoch survived.
      const fresh = (await redis.set(keys.epoch, String(Date.now()), 'NX')) === 'OK'
      await ensureGroup(redis, keys.events, FANOUT_GROUP)
      await ensureGroup(redis, keys.deliveries, DELIVER_GROUP)
      const report: ReconcileReport = { mode: fresh ? 'full' : 'overdue', events: 0, deliveries: 0, retries: 0 }
      const grace = fresh ? 0 : deps.graceMs

      if (fresh || (await groupLag(redis, keys.events, FANOUT_GROUP)) === 0) {
        let after = '00000000-0000-0000-0000-000000000000'
        for (;;) {
          const ids = await db.anyFirst(sql.type(EventIds)`SELECT id FROM events WHERE fanout_status = 'pending'
            AND received_at < now() - make_interval(secs => ${grace / 1000}) AND id > ${after} ORDER BY id LIMIT ${BATCH}`)
          await enqueueEvents(redis, keys, ids)
          report.events += ids.length
          if (ids.length < BATCH) break
          after = ids.at(-1)!
        }
      }

      const deliverCaughtUp = fresh || (await groupLag(redis, keys.deliveries, DELIVER_GROUP)) === 0
      let after = '00000000-0000-0000-0000-000000000000'
      for (;;) {
        const rows = await db.any(sql.type(Unfinished)`SELECT id, status, next_attempt_at FROM deliveries
          WHERE id > ${after} AND ${statusIn(STATUS, UNFINISHED)} AND (
            (${statusIs(STATUS, Status.pending)} AND next_attempt_at < now() - make_interval(secs => ${grace / 1000}))
            OR (${statusIs(STATUS, Status.retrying)} AND (${fresh} OR next_attempt_at < now() - make_interval(secs => ${grace / 1000})))
            OR (${statusIs(STATUS, Status.delivering)} AND lease_until < now() - make_interval(secs => ${grace / 1000})))
          ORDER BY id LIMIT ${BATCH}`)
        const now = Date.now()
        const due: string[] = []
        const later: { id: string; atMs: number }[] = []
        for (const r of rows) {
          if (r.status === Status.retrying) {
            // Not fresh: only if the retry set lost it (the mover would otherwise have moved it).
            if (!fresh && (await redis.zscore(keys.retries, r.id)) !== null) continue
            later.push({ id: r.id, atMs: Math.max(r.next_attempt_at, now) })
          } else if (r.status === Status.delivering || deliverCaughtUp) {
            due.push(r.id)
          }
        }
        await enqueueDeliveries(redis, keys, due)
        await scheduleRetries(redis, keys, later)
        report.deliveries += due.length
        report.retries += later.length
        if (rows.length < BATCH) break
        after = rows.at(-1)!.id
      }
      // Paused deliveries under an enabled subscription (a race with the switch): due now.
      const resumed = await resumeStrayPaused(db, BATCH)
      await enqueueDeliveries(redis, keys, resumed)
      report.deliveries += resumed.length
      if (report.events || report.deliveries || report.retries || fresh) log.info(report, 'reconciler re-enqueued unfinished work')
      return report
    })
  }
  return { run }
}

export function startReconciler(deps: Parameters<typeof createReconciler>[0] & { intervalMs: number }) {
  const r = createReconciler(deps)
  return { ...every(deps.intervalMs, 'reconciler run', deps.log, r.run), run: r.run }
}
