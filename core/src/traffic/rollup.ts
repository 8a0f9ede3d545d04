/**
 * Counts traffic in memory and adds it to the per-minute rollup (store/traffic.ts)
 * every FLUSH_MS: one upsert per table per process and flush, whatever the rate, so
 * the charts cost the hot paths a map update, not a write. Ingest counts the events it
 * stored; the record task counts the attempts it wrote (a stale attempt, refused by the
 * fence, is not counted). A failed flush keeps its counts for the next one; a process
 * killed with -9 loses at most its last FLUSH_MS of counts, which only the charts see:
 * deliveries themselves are in their own tables.
 */
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import { Status } from '../delivery/status.ts'
import { addAttemptCounts, addEventCounts, sumAttemptCounts, TRAFFIC_KEEP_MS, updateHealth, type AttemptCount, type EventCount, type HealthChange } from '../store/traffic.ts'
import { bucketOf, emptyLatency } from './latency.ts'

export const FLUSH_MS = 5_000
const MINUTE = 60_000

/**
 * What an attempt counts as: where it left its delivery (the state machine's statuses),
 * or `failed` for a failure that will be retried.
 */
export type AttemptResult = typeof Status.succeeded | typeof Status.dead | typeof Status.skipped | 'failed'

export interface AttemptSample {
  readonly subscriptionId: string
  readonly result: AttemptResult
  /** When the attempt finished. */
  readonly at: number
  /** Null when no request was made (a skipped event): it has no latency. */
  readonly durationMs: number | null
  readonly error: string | null
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type Counts = { succeeded: number; failed: number; dead: number; skipped: number; throttled: number; latency: number[] }
type Health = { lastSuccessAt: number | null; lastFailureAt: number | null; lastError: string | null; trailingFailures: number }

export class TrafficRollup {
  readonly #db: Db
  readonly #log: Logger
  #events = new Map<string, Mutable<EventCount>>()
  #attempts = new Map<string, Counts & { minute: number; subscriptionId: string }>()
  #health = new Map<string, Health>()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> | undefined

  constructor(d: { db: Db; log: Logger }) {
    this.#db = d.db
    this.#log = d.log
  }

  start(everyMs = FLUSH_MS): this {
    this.#timer = setInterval(() => void this.flush(), everyMs)
    this.#timer.unref()
    return this
  }

  event(sourceId: string, at = Date.now()): void {
    const minute = at - (at % MINUTE)
    const key = `${minute}|${sourceId}`
    const c = this.#events.get(key)
    if (c) c.events++
    else this.#events.set(key, { minute, sourceId, events: 1 })
  }

  /** Deliveries of a subscription its rate limit made wait for a later slot. */
  throttled(subscriptionId: string, n: number, at = Date.now()): void {
    this.#counts(subscriptionId, at).throttled += n
  }

  #counts(subscriptionId: string, at: number): Counts {
    const minute = at - (at % MINUTE)
    const key = `${minute}|${subscriptionId}`
    let c = this.#attempts.get(key)
    if (!c) this.#attempts.set(key, (c = { minute, subscriptionId, succeeded: 0, failed: 0, dead: 0, skipped: 0, throttled: 0, latency: emptyLatency() }))
    return c
  }

  attempt(s: AttemptSample): void {
    const c = this.#counts(s.subscriptionId, s.at)
    // A dead attempt is a failed attempt that also ended its delivery.
    if (s.result === Status.dead) c.failed++
    c[s.result]++
    if (s.durationMs !== null) c.latency[bucketOf(s.durationMs)]!++
    if (s.result === Status.skipped) return
    const h = this.#health.get(s.subscriptionId) ?? { lastSuccessAt: null, lastFailureAt: null, lastError: null, trailingFailures: 0 }
    if (s.result === Status.succeeded) {
      if (h.lastSuccessAt === null || s.at >= h.lastSuccessAt) this.#health.set(s.subscriptionId, { ...h, lastSuccessAt: s.at, trailingFailures: 0 })
    } else {
      const newer = h.lastFailureAt === null || s.at >= h.lastFailureAt
      this.#health.set(s.subscriptionId, {
        ...h,
        lastFailureAt: newer ? s.at : h.lastFailureAt,
        lastError: newer ? s.error : h.lastError,
        trailingFailures: h.trailingFailures + 1,
      })
    }
  }

  /** Adds what was counted since the last flush; one flush at a time. */
  flush(): Promise<void> {
    return (this.#flushing ??= this.#write().finally(() => (this.#flushing = undefined)))
  }

  /** The last flush, at shutdown. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#flushing
    await this.flush()
  }

  async #write(): Promise<void> {
    const events = this.#events
    const attempts = this.#attempts
    const health = this.#health
    if (events.size + attempts.size + health.size === 0) return
    this.#events = new Map()
    this.#attempts = new Map()
    this.#health = new Map()
    const eventRows = [...events.values()]
    const attemptRows: AttemptCount[] = [...attempts.values()]
    const healthRows: HealthChange[] = [...health].map(([subscriptionId, h]) => ({ subscriptionId, ...h }))
    try {
      // One transaction: a retried flush never adds a count twice.
      await this.#db.transaction(async (tx) => {
        await addEventCounts(tx, eventRows)
        await addAttemptCounts(tx, attemptRows)
        await updateHealth(tx, healthRows)
      })
    } catch (err) {
      this.#keep(events, attempts, health)
      this.#log.warn({ err: (err as Error).message }, 'traffic counts not written; kept for the next flush')
    }
  }

  /** Puts unwritten counts back under what was counted meanwhile; too old ones are dropped. */
  #keep(events: Map<string, Mutable<EventCount>>, attempts: Map<string, Counts & { minute: number; subscriptionId: string }>, health: Map<string, Health>): void {
    const oldest = Date.now() - TRAFFIC_KEEP_MS
    for (const [key, e] of events) {
      if (e.minute < oldest) continue
      const now = this.#events.get(key)
      if (now) now.events += e.events
      else this.#events.set(key, e)
    }
    for (const [key, a] of attempts) {
      if (a.minute < oldest) continue
      const now = this.#attempts.get(key)
      this.#attempts.set(key, now ? sumAttemptCounts(now, a) : a)
    }
    for (const [id, old] of health) {
      const now = this.#health.get(id)
      if (!now) this.#health.set(id, old)
      else
        this.#health.set(id, {
          lastSuccessAt: now.lastSuccessAt ?? old.lastSuccessAt,
          lastFailureAt: now.lastFailureAt ?? old.lastFailureAt,
          lastError: now.lastFailureAt !== null ? now.lastError : old.lastError,
          trailingFailures: now.lastSuccessAt !== null ? now.trailingFailures : old.trailingFailures + now.trailingFailures,
        })
    }
  }
}
