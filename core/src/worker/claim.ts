/**
 * Claim task: a batch of delivery entries in, the deliveries this worker may attempt
 * now out. The claim itself is one statement (transitions.ts claim()). Entries that
 * claim nothing are settled here: not due yet goes back to the retry set at its time
 * (a duplicate entry never sends a retry early), paused and finished ones are acked.
 * Then each claim passes its subscription's rate limit (throttle.ts: go, wait here for
 * its slot, or go back to the retry set until it is near) and the fairness gate
 * (subscription-gate.ts: run, wait briefly for a slot, or go back to the retry set).
 * Going back counts no attempt (defer).
 */
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import { claim, defer, type ClaimWithEvent } from '../delivery/transitions.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { ack, scheduleRetries } from '../queue/enqueue.ts'
import type { StreamEntry } from '../queue/entries.ts'
import type { RelayRedis } from '../redis/client.ts'
import { DELIVER_GROUP, type Keys } from '../redis/keys.ts'
import { isUuid } from '../store/ids.ts'
import type { SubscriptionGate } from './subscription-gate.ts'
import type { Throttle } from './throttle.ts'

/** Lease beyond the attempt's own bound: loading the event, the transform, recording. */
export const LEASE_MARGIN_MS = 10_000

export interface ClaimDeps {
  readonly db: Db
  readonly redis: RelayRedis
  readonly keys: Keys
  readonly metrics: Metrics
  readonly log: Logger
  readonly gate: SubscriptionGate
  readonly throttle: Throttle
  /** This worker's consumer name. */
  readonly worker: string
  readonly defaultTimeoutMs: number
  readonly maxTimeoutMs: number
}

/** A claim and the stream entry it answers to. */
export interface Claimed {
  readonly claim: ClaimWithEvent
  readonly entryId: string
  /** When this worker claimed it (ms): what it waits in the worker counts from here. */
  readonly claimedAt: number
}

export interface Admitted extends Claimed {
  /** Set when the delivery waits for a slot of its subscription. */
  readonly ready: Promise<void> | null
}

export interface Admission {
  readonly admitted: readonly Admitted[]
  /** Claims that wait in this worker for their rate-limit slot (claim.slotAt), then are admitted again. */
  readonly waiting: readonly Claimed[]
}

export class ClaimTask {
  readonly #d: ClaimDeps

  constructor(d: ClaimDeps) {
    this.#d = d
  }

  /** Claims the entries' deliveries; `takeOverFrom` names dead workers whose claims may be taken. */
  async claim(entries: readonly StreamEntry[], takeOverFrom?: readonly string[]): Promise<Claimed[]> {
    const { db, redis, keys } = this.#d
    const byDelivery = new Map<string, string[]>()
    const junk: string[] = []
    for (const e of entries) {
      const id = e.fields.d
      if (!id || !isUuid(id)) junk.push(e.id)
      else byDelivery.set(id, [...(byDelivery.get(id) ?? []), e.id])
    }
    const r = await claim(db, [...byDelivery.keys()], {
      worker: this.#d.worker,
      takeOverFrom,
      defaultTimeoutMs: this.#d.defaultTimeoutMs,
      maxTimeoutMs: this.#d.maxTimeoutMs,
      leaseMarginMs: LEASE_MARGIN_MS,
    })
    await scheduleRetries(redis, keys, r.notDue)
    // Each claim runs with its first entry; every other entry of the batch is settled now.
    const claimedAt = Date.now()
    const claimed = r.claimed.map((c) => ({ claim: c, entryId: byDelivery.get(c.id)![0]!, claimedAt }))
    const running = new Set(claimed.map((c) => c.entryId))
    await ack(redis, keys.deliveries, DELIVER_GROUP, [...junk, ...entries.map((e) => e.id).filter((id) => !running.has(id) && !junk.includes(id))])
    return claimed
  }

  /** Runs each claim through its rate limit and the fairness gate; the deferred ones go back to the retry set. */
  async admit(claimed: readonly Claimed[]): Promise<Admission> {
    const { db, redis, keys, metrics, gate } = this.#d
    const admitted: Admitted[] = []
    const waiting: Claimed[] = []
    /** fair: handed back by the fairness gate (counted as deferred), not by the rate limit. */
    const deferred: { claim: ClaimWithEvent; entryId: string; atMs: number; slotAtMs: number | null; fair: boolean }[] = []
    const now = Date.now()
    const limits = await this.#d.throttle.decide(claimed.map((c) => c.claim), now, claimed.map((c) => c.claimedAt))
    for (const [i, c] of claimed.entries()) {
      const t = limits[i]!
      if (t.kind === 'wait') {
        waiting.push({ ...c, claim: { ...c.claim, slotAt: t.slotAtMs } })
        continue
      }
      if (t.kind === 'defer') {
        deferred.push({ ...c, atMs: t.atMs, slotAtMs: t.slotAtMs, fair: false })
        continue
      }
      // A claim that took a rate-limit token starts now or goes back holding its place: one
      // that waited in the gate with its token could start later beside others that did
      // the same, and break the limit.
      const limited = t.tokenTaken
      const a = gate.admit(c.claim.subscription_id, now, !limited)
      if (a.kind === 'defer') deferred.push({ ...c, atMs: now + a.afterMs, slotAtMs: limited ? now + a.afterMs : null, fair: true })
      else admitted.push({ ...c, ready: a.kind === 'wait' ? a.ready : null })
    }
    if (deferred.length) {
      try {
        const held = await defer(db, deferred)
        await scheduleRetries(redis, keys, deferred.filter((x) => held.has(x.claim.id)).map((x) => ({ id: x.claim.id, atMs: x.atMs })))
        await ack(redis, keys.deliveries, DELIVER_GROUP, deferred.map((x) => x.entryId))
        metrics.deliveriesDeferred.inc(deferred.filter((x) => x.fair && held.has(x.claim.id)).length)
        if (held.size < deferred.length) metrics.staleWrites.inc({ transition: 'defer' }, deferred.length - held.size)
      } catch (err) {
        // The admitted ones hold gate slots and must run. The deferred ones keep their
        // claim and unacked entry: reclaimed once the lease is over, nothing lost.
        this.#d.log.warn({ err: (err as Error).message, count: deferred.length }, 'deferring deliveries failed; they will be reclaimed')
      }
    }
    return { admitted, waiting }
  }
}
