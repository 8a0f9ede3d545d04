/**
 * Per-subscription fairness for one worker: at most `cap` deliveries of a subscription
 * run at once, and at most `cap` more wait here for a slot (they take a slot within
 * milliseconds when the receiver is fast). Beyond that a delivery is handed back to wait
 * in the retry set, each one due a little later than the one before, spaced at the rate
 * the receiver actually sustains (cap / its recent average duration). A slow receiver's
 * backlog so comes back about as fast as it can be sent: it neither takes every worker
 * slot nor floods the shared stream with entries that would only be handed back again.
 * Only running deliveries count against the worker's overall concurrency.
 *
 * The cap is also a fair share of the worker less its headroom: with N subscriptions
 * active on this worker (running or waiting), none takes a new slot past
 * (concurrency - headroom) / N. Without the share, three slow subscriptions under a cap
 * of 64 each would still fill a worker of 128. Without the headroom they would fill it
 * too, three shares of 42: a fast subscription is rarely "active" (its deliveries end in
 * milliseconds), and the reader only reads when `headroom` slots are free, so the fast
 * receiver's entries sat unread in the stream behind the slow ones (both found by the load
 * test's slow-beside-fast scenario, which has one slow subscription per source).
 */
const MIN_DEFER_MS = 100
/** Until a receiver has answered once, assume it takes this long. */
const UNKNOWN_DURATION_MS = 100
/** The furthest ahead one deferral may be scheduled. */
const MAX_DEFER_MS = 10 * 60_000
/** Weight of the newest duration in the moving average. */
const EWMA_ALPHA = 0.2

/**
 * Slots never given to backed-up subscriptions: a quarter of the worker. The stream reader
 * waits for this many free slots before it reads (so a read is a batch, not one entry at a
 * time); keeping them free of backed-up subscriptions is what lets it always read on.
 */
export function headroom(concurrency: number): number {
  return Number.isFinite(concurrency) ? Math.ceil(concurrency / 4) : 0
}

interface SubscriptionState {
  running: number
  waiting: (() => void)[]
  avgMs: number
  /** When the last deferred delivery of this subscription is due (ms since epoch). */
  deferredUntil: number
}

export type Admission = { kind: 'run' } | { kind: 'wait'; ready: Promise<void> } | { kind: 'defer'; afterMs: number }

export class SubscriptionGate {
  readonly #cap: number
  /** The slots shared between busy subscriptions: the worker's less its headroom. */
  readonly #shared: number
  readonly #subs = new Map<string, SubscriptionState>()
  #running = 0

  constructor(cap: number, concurrency: number = Number.POSITIVE_INFINITY) {
    this.#cap = cap
    this.#shared = Math.max(1, concurrency - headroom(concurrency))
  }

  /** The cap now: the configured one, or the fair share of the shared slots when many subscriptions are busy. */
  #capNow(): number {
    let active = 0
    for (const s of this.#subs.values()) if (s.running > 0 || s.waiting.length > 0) active++
    return Math.max(1, Math.min(this.#cap, Math.floor(this.#shared / Math.max(1, active))))
  }

  /** Deliveries running now, across subscriptions. */
  get running(): number {
    return this.#running
  }

  /**
   * Decides for one delivery. `mayWait: false` (a delivery that holds a rate-limit token,
   * which must start now or not at all) turns a wait into a defer.
   */
  admit(subscriptionId: string, now = Date.now(), mayWait = true): Admission {
    const s = this.#state(subscriptionId)
    const cap = this.#capNow()
    if (s.running < cap) {
      s.running++
      this.#running++
      return { kind: 'run' }
    }
    if (mayWait && s.waiting.length < cap) {
      const ready = new Promise<void>((resolve) => s.waiting.push(resolve))
      return { kind: 'wait', ready }
    }
    // Space deferred deliveries at the receiver's own pace: one per (duration / cap).
    const spacing = (s.avgMs || UNKNOWN_DURATION_MS) / cap
    s.deferredUntil = Math.min(Math.max(s.deferredUntil, now + MIN_DEFER_MS) + spacing, now + MAX_DEFER_MS)
    return { kind: 'defer', afterMs: Math.round(s.deferredUntil - now) }
  }

  /** A running delivery finished after `ms`: its slot goes to the next waiting one. */
  release(subscriptionId: string, ms: number): void {
    const s = this.#state(subscriptionId)
    s.avgMs = s.avgMs === 0 ? ms : s.avgMs * (1 - EWMA_ALPHA) + ms * EWMA_ALPHA
    s.running--
    this.#running--
    // The freed slot goes to this subscription's next waiting delivery while it is under
    // its cap; past it (more subscriptions became busy) the slot is left for others.
    const cap = this.#capNow()
    while (s.waiting.length > 0 && s.running < cap) {
      s.running++
      this.#running++
      s.waiting.shift()!()
    }
    if (s.running === 0 && s.waiting.length === 0 && s.deferredUntil < Date.now() && s.avgMs < MIN_DEFER_MS) this.#subs.delete(subscriptionId)
  }

  #state(id: string): SubscriptionState {
    let s = this.#subs.get(id)
    if (!s) {
      s = { running: 0, waiting: [], avgMs: 0, deferredUntil: 0 }
      this.#subs.set(id, s)
    }
    return s
  }
}
