/**
 * Per-subscription fairness for one worker: at most `cap` deliveries of a subscription
 * run at once, and at most `cap` more wait here for a slot (they take a slot within
 * milliseconds when the receiver is fast). Beyond that a delivery is handed back to wait
 * in the retry set, due again after about as long as the receiver needs for a round of
 * `cap` deliveries (its recent average duration), so a slow receiver's backlog neither
 * takes every worker slot nor spins. Only running deliveries count against the worker's
 * overall concurrency.
 */
const MIN_DEFER_MS = 100
const MAX_DEFER_MS = 10_000
/** Weight of the newest duration in the moving average. */
const EWMA_ALPHA = 0.2

interface SubscriptionState {
  running: number
  waiting: (() => void)[]
  avgMs: number
}

export type Admission = { kind: 'run' } | { kind: 'wait'; ready: Promise<void> } | { kind: 'defer'; afterMs: number }

export class SubscriptionGate {
  readonly #cap: number
  readonly #subs = new Map<string, SubscriptionState>()
  #running = 0

  constructor(cap: number) {
    this.#cap = cap
  }

  /** Deliveries running now, across subscriptions. */
  get running(): number {
    return this.#running
  }

  /** Decides for one delivery; `deferredSoFar` counts this subscription's deferrals in the current batch. */
  admit(subscriptionId: string, deferredSoFar: number): Admission {
    const s = this.#state(subscriptionId)
    if (s.running < this.#cap) {
      s.running++
      this.#running++
      return { kind: 'run' }
    }
    if (s.waiting.length < this.#cap) {
      const ready = new Promise<void>((resolve) => s.waiting.push(resolve))
      return { kind: 'wait', ready }
    }
    const rounds = 1 + Math.floor(deferredSoFar / this.#cap)
    return { kind: 'defer', afterMs: Math.min(MAX_DEFER_MS, Math.max(MIN_DEFER_MS, s.avgMs * rounds)) }
  }

  /** A running delivery finished after `ms`: its slot goes to the next waiting one. */
  release(subscriptionId: string, ms: number): void {
    const s = this.#state(subscriptionId)
    s.avgMs = s.avgMs === 0 ? ms : s.avgMs * (1 - EWMA_ALPHA) + ms * EWMA_ALPHA
    const next = s.waiting.shift()
    if (next) {
      // The slot passes on directly: running counts stay the same.
      next()
      return
    }
    s.running--
    this.#running--
    if (s.running === 0 && s.waiting.length === 0 && s.avgMs < MIN_DEFER_MS) this.#subs.delete(subscriptionId)
  }

  #state(id: string): SubscriptionState {
    let s = this.#subs.get(id)
    if (!s) {
      s = { running: 0, waiting: [], avgMs: 0 }
      this.#subs.set(id, s)
    }
    return s
  }
}
