/**
 * Rate limits at the claim (docs/delivery-control.md): each claim of a subscription
 * with a limit (its own, or its action's default; delivery/rate-limit.ts) asks the
 * subscription's token bucket, one Lua call per subscription and batch
 * (redis/rate-take.lua), shared by every worker. A claim then
 *   goes:   a token was there; on to the fairness gate and the attempt;
 *   waits:  its slot is less than LOCAL_WAIT_MS away: it waits in this worker, holding its
 *           claim but no delivery slot, and asks again as the slot's holder when it comes;
 *   defers: its slot is further off: back to the retry set (no attempt counted) until
 *           RETURN_LEAD_MS before the slot, the slot kept on the row (throttled_until),
 *           so when it is claimed again it waits out the rest here and goes first.
 * Slots are handed out in order, one interval apart, so a backlog comes back at the rate
 * it may be sent: never failed, never spinning through the stream. A subscription
 * without a limit costs nothing here: no Redis call.
 */
import type { Logger } from 'pino'
import type { RateLimit } from '../delivery/rate-limit.ts'
import type { ClaimWithEvent } from '../delivery/transitions.ts'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'

/** Slots nearer than this are waited for in the worker; further ones in the retry set. */
export const LOCAL_WAIT_MS = 2_000
/** A deferred delivery comes back this long before its slot: the retry mover's tick and the stream read fit in it. */
export const RETURN_LEAD_MS = 1_000
/** Redis (or the subscription) could not be read: the deliveries are handed back for this long, not sent unthrottled. */
const UNAVAILABLE_RETRY_MS = 1_000
/**
 * The most a claim waits in the worker in all, across its waits: well inside the claim's
 * lease margin (claim.ts LEASE_MARGIN_MS), so a claim that waited is never taken over.
 */
export const LOCAL_WAIT_BUDGET_MS = 5_000

export type Throttled =
  /** tokenTaken: it took a token of its subscription's limit (false: it has none). */
  | { readonly kind: 'go'; readonly tokenTaken: boolean }
  | { readonly kind: 'wait'; readonly slotAtMs: number }
  | { readonly kind: 'defer'; readonly atMs: number; readonly slotAtMs: number | null }

/** The limit a subscription runs under now, and its action (for the metric's label); null: no limit. */
export type LimitOf = (subscriptionId: string) => Promise<{ limit: RateLimit; action: string } | null>

export interface ThrottleDeps {
  readonly redis: RelayRedis
  readonly keys: Keys
  readonly limitOf: LimitOf
  readonly log: Logger
  /** Called with the deliveries that were given a later slot (counted once each, when first throttled). */
  readonly onThrottled: (subscriptionId: string, action: string, n: number) => void
}

export class Throttle {
  readonly #d: ThrottleDeps

  constructor(d: ThrottleDeps) {
    this.#d = d
  }

  /** One decision per claim, in order; `claimedAt` (ms): when each was claimed, for the wait budget. */
  async decide(claims: readonly ClaimWithEvent[], now = Date.now(), claimedAt: readonly number[] = []): Promise<Throttled[]> {
    const out: Throttled[] = claims.map(() => ({ kind: 'go', tokenTaken: false }))
    const waitOrDefer = (i: number, slotAtMs: number): Throttled =>
      slotAtMs - now <= LOCAL_WAIT_MS && slotAtMs - (claimedAt[i] ?? now) <= LOCAL_WAIT_BUDGET_MS
        ? { kind: 'wait', slotAtMs }
        : { kind: 'defer', atMs: Math.max(now, slotAtMs - RETURN_LEAD_MS), slotAtMs }
    /** Not asked (the subscription or the bucket could not be read): back for a moment, each keeping any slot it holds. */
    const giveBack = (indexes: readonly number[]) => {
      for (const i of indexes) out[i] = { kind: 'defer', atMs: now + UNAVAILABLE_RETRY_MS, slotAtMs: claims[i]!.slotAt }
    }
    const bySubscription = Map.groupBy(claims.keys(), (i) => claims[i]!.subscription_id)
    await Promise.all(
      [...bySubscription].map(async ([subscriptionId, indexes]) => {
        let limited: Awaited<ReturnType<LimitOf>>
        try {
          limited = await this.#d.limitOf(subscriptionId)
        } catch (err) {
          // Gone: the attempt says so. Anything else: not known to be unlimited, so not sent.
          if ((err as { code?: string }).code === 'RELAY_ERR_SUBSCRIPTION_NOT_FOUND') return
          this.#d.log.warn({ err: (err as Error).message, subscriptionId }, 'subscription not loaded for its rate limit; its deliveries wait and ask again')
          return giveBack(indexes)
        }
        // No limit: nothing to ask.
        if (!limited) return
        const holders: number[] = []
        const fresh: number[] = []
        for (const i of indexes) {
          const slot = claims[i]!.slotAt
          if (slot === null) fresh.push(i)
          else if (slot > now) out[i] = waitOrDefer(i, slot)
          else holders.push(i)
        }
        if (holders.length + fresh.length === 0) return
        let delays: number[]
        try {
          delays = await this.#d.redis.rateTake(this.#d.keys.rateBucket + subscriptionId, limited.limit.perSecond, limited.limit.burst, holders.length, fresh.length)
        } catch (err) {
          this.#d.log.warn({ err: (err as Error).message, subscriptionId }, 'rate limit bucket unavailable; its deliveries wait and ask again')
          return giveBack([...holders, ...fresh])
        }
        let throttled = 0
        for (const [k, i] of [...holders, ...fresh].entries()) {
          const delay = Number(delays[k] ?? 0)
          if (delay <= 0) {
            out[i] = { kind: 'go', tokenTaken: true }
            continue
          }
          if (k >= holders.length) throttled++
          out[i] = waitOrDefer(i, now + delay)
        }
        if (throttled) this.#d.onThrottled(subscriptionId, limited.action, throttled)
      }),
    )
    return out
  }
}
