/**
 * The narrow service through which everything outside the worker changes deliveries:
 * the REST routes, the admin UI and lifecycle plugins (the dead-letter queue). Each
 * method is a transition of transitions.ts followed by its queue effect, so no caller
 * writes a delivery row or decides what goes on the stream. A queue write that fails
 * after the commit is logged and left to the reconciler: the change itself stands.
 */
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import { withDb } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import { enqueueDueNow } from '../queue/enqueue.ts'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import { getDelivery } from '../store/deliveries.ts'
import { updateSubscription, type SubscriptionRow } from '../store/subscriptions.ts'
import { RETRYABLE_NOW, type DeliveryStatus } from './status.ts'
import { createReplay, discardDead, type ReplayOrigin, pauseSubscription, replayDead, resumeSubscription, retryNow } from './transitions.ts'

export interface DeliveryService {
  /** Due now (a dead one with a fresh attempt count); CONFLICT when its status or its subscription does not allow it. */
  retryNow(id: string): Promise<void>
  /** A new delivery of a stored event to a subscription of its source; returns its id. */
  replayEvent(eventId: string, subscriptionId: string, origin?: ReplayOrigin): Promise<string>
  /** Dead deliveries due now with a fresh attempt count; returns the ids that were still dead. */
  replayDead(ids: readonly string[]): Promise<readonly string[]>
  /** Dead deliveries given up for good; returns the ids that were still dead. */
  discardDead(ids: readonly string[]): Promise<readonly string[]>
  /** Saves a subscription; disabling pauses its waiting work, enabling resumes it (due now). */
  updateSubscription(id: string, input: Parameters<typeof updateSubscription>[2]): Promise<SubscriptionRow>
}

export function createDeliveryService(d: { db: Db; redis: RelayRedis; keys: Keys; log: Logger }): DeliveryService {
  const enqueue = async (ids: readonly string[]) => {
    await enqueueDueNow(d.redis, d.keys, ids).catch((err: Error) => {
      d.log.warn({ err: err.message, count: ids.length }, 'enqueueing deliveries failed; the reconciler will pick them up')
    })
  }
  return {
    async retryNow(id) {
      const before = await withDb(() => getDelivery(d.db, id))
      if (!(await withDb(() => retryNow(d.db, id)))) {
        const now = await withDb(() => getDelivery(d.db, id))
        const why = RETRYABLE_NOW.includes(now.status as DeliveryStatus)
          ? 'its subscription is disabled; enable it to resume its deliveries'
          : `it is ${now.status}; only ${RETRYABLE_NOW.join(', ')} deliveries can be retried`
        throw new Errors.CONFLICT(`delivery ${before.id} cannot be retried now: ${why}`)
      }
      await enqueue([id])
    },
    async replayEvent(eventId, subscriptionId, origin) {
      const id = await withDb(() => createReplay(d.db, eventId, subscriptionId, origin))
      await enqueue([id])
      return id
    },
    async replayDead(ids) {
      const replayed = await withDb(() => replayDead(d.db, ids))
      await enqueue(replayed)
      return replayed
    },
    discardDead(ids) {
      return withDb(() => discardDead(d.db, ids))
    },
    async updateSubscription(id, input) {
      const { row, resumed } = await withDb(() =>
        d.db.transaction(async (tx) => {
          const row = await updateSubscription(tx, id, input)
          if (!row.enabled) {
            await pauseSubscription(tx, id)
            return { row, resumed: [] as readonly string[] }
          }
          return { row, resumed: await resumeSubscription(tx, id) }
        }),
      )
      await enqueue(resumed)
      return row
    },
  }
}
