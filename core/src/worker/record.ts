/**
 * Record task: finished attempts are written by a group commit (up to RECORD_WAIT_MS of
 * them in one statement, transitions.ts record()), and only then take their effects:
 * retries go into the retry set, metrics count the outcomes, and the stream entries are
 * acked. A crash before the ack leaves the entries pending, to be taken over; an outcome
 * whose claim was taken over meanwhile changes nothing and is counted as stale.
 */
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import { Status } from '../delivery/status.ts'
import { record, type Outcome } from '../delivery/transitions.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { ack, scheduleRetries } from '../queue/enqueue.ts'
import type { RelayRedis } from '../redis/client.ts'
import { DELIVER_GROUP, type Keys } from '../redis/keys.ts'
import type { AttemptResult, TrafficRollup } from '../traffic/rollup.ts'
import { GroupCommit } from '../util/group-commit.ts'

export const RECORD_BATCH_MAX = 256
/** Attempts are recorded in batches: up to 10 ms of them, one statement at a time. */
const RECORD_WAIT_MS = 10
const RECORD_IN_FLIGHT = 1

export interface Finished extends Outcome {
  readonly entryId: string
  readonly labels: { source: string; action: string }
  readonly receivedAt: number
}

type RecorderDeps = { db: Db; redis: RelayRedis; keys: Keys; metrics: Metrics; traffic: TrafficRollup; log: Logger }

/** What the traffic rollup counts for an attempt that left its delivery in `status`. */
const RESULT: Partial<Record<string, AttemptResult>> = {
  [Status.succeeded]: Status.succeeded,
  [Status.dead]: Status.dead,
  [Status.skipped]: Status.skipped,
  [Status.retrying]: 'failed',
  [Status.paused]: 'failed',
}

export class Recorder {
  readonly #d: RecorderDeps
  readonly #commit: GroupCommit<Finished, undefined>
  /** Outcomes handed over and not yet committed. */
  #waiting = 0
  onSettled: () => void = () => {}

  constructor(d: RecorderDeps) {
    this.#d = d
    this.#commit = new GroupCommit({
      maxBatch: RECORD_BATCH_MAX,
      maxWaitMs: RECORD_WAIT_MS,
      maxInFlight: RECORD_IN_FLIGHT,
      flush: async (items) => {
        await this.#flush(items)
        return items.map(() => undefined)
      },
    })
  }

  get waiting(): number {
    return this.#waiting
  }

  /** Hands an outcome over; returns at once. A failed commit leaves the entry to be reclaimed. */
  add(f: Finished): void {
    this.#waiting++
    void this.#commit
      .add(f)
      .catch((err: Error) => this.#d.log.error({ err: err.message, deliveryId: f.claim.id }, 'recording an attempt failed; the delivery will be reclaimed'))
      .finally(() => {
        this.#waiting--
        this.onSettled()
      })
  }

  drain(): Promise<void> {
    return this.#commit.drain()
  }

  async #flush(items: Finished[]): Promise<void> {
    const { db, redis, keys, metrics, traffic, log } = this.#d
    const { applied, stale } = await record(db, items)
    const now = Date.now()
    // Committed: from here a lost Redis write is repaired by the reconciler.
    await scheduleRetries(
      redis,
      keys,
      items.filter((i) => applied.get(i.claim.id) === Status.retrying).map((i) => ({ id: i.claim.id, atMs: i.decision.nextAttemptAt ?? now })),
    )
    for (const i of items) {
      const status = applied.get(i.claim.id)
      if (status === Status.dead) metrics.deliveriesDead.inc({ ...i.labels, reason: i.decision.deadReason ?? 'permanent' })
      if (status === Status.succeeded) metrics.endToEnd.observe(i.labels, (now - i.receivedAt) / 1000)
      const result = status && RESULT[status]
      if (result) {
        const a = i.attempt
        traffic.attempt({
          subscriptionId: i.claim.subscription_id,
          result,
          at: a.startedAt + a.durationMs,
          durationMs: a.outcome === 'skip' ? null : a.durationMs,
          error: result === 'failed' || result === Status.dead ? (i.decision.lastError ?? a.error) : null,
        })
      }
    }
    if (stale.length) {
      metrics.staleWrites.inc({ transition: 'record' }, stale.length)
      log.warn({ deliveries: stale.slice(0, 20), count: stale.length }, 'attempts finished after their claim was taken over; their outcome was not written')
    }
    await ack(redis, keys.deliveries, DELIVER_GROUP, items.map((i) => i.entryId))
  }
}
