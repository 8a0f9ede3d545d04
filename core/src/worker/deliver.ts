/**
 * Delivery stage: delivery entries in; each batch goes through the worker's tasks in
 * order, one file each:
 *   claim.ts    claim the batch in Postgres (fenced; each claim comes with its event,
 *               in the same statement), settle what claims nothing, and admit each
 *               claim through its rate limit (throttle.ts) and the fairness gate;
 *   load.ts     subscriptions and transform code, cached;
 *   attempt.ts  transform and action plugin, to an outcome;
 *   record.ts   the outcome written by a group commit, then its effects (retry set,
 *               metrics, ack).
 * This file only strings them together and keeps the count of deliveries in flight.
 */
import type { Span } from '@opentelemetry/api'
import { SpanStatusCode } from '@opentelemetry/api'
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import { decide } from '../delivery/decide.ts'
import type { RetryPolicy } from '../delivery/retry-policy.ts'
import { renewLease, type Claim } from '../delivery/transitions.ts'
import { ack } from '../queue/enqueue.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { statusClass } from '../metrics/metrics.ts'
import type { HttpClient, Signer, TcpConnect } from '../plugin/contract.ts'
import type { PluginHost } from '../plugin/host.ts'
import type { StreamEntry } from '../queue/entries.ts'
import type { RelayRedis } from '../redis/client.ts'
import { DELIVER_GROUP, type Keys } from '../redis/keys.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import type { EventRow } from '../store/events.ts'
import { ATTR } from '../telemetry/attributes.ts'
import { startProcessSpan } from '../telemetry/stream-spans.ts'
import { isTracing, withSpan } from '../telemetry/tracer.ts'
import type { TrafficRollup } from '../traffic/rollup.ts'
import type { TransformRunner } from '../transform/types.ts'
import { attempt, type AttemptDeps } from './attempt.ts'
import { attemptRecord } from './attempt-record.ts'
import { effectiveRateLimit } from '../delivery/rate-limit.ts'
import { ClaimTask, LEASE_MARGIN_MS, type Admitted, type Claimed } from './claim.ts'
import { Loader } from './load.ts'
import { RECORD_BATCH_MAX, Recorder } from './record.ts'
import { SubscriptionGate } from './subscription-gate.ts'
import { Throttle } from './throttle.ts'

/** Default plugin call timeout when a subscription's config names none. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 15_000

export interface DeliverDeps {
  db: Db
  redis: RelayRedis
  keys: Keys
  plugins: PluginHost
  box: SecretBox
  http: HttpClient
  connect: TcpConnect
  signer: Signer
  transforms: TransformRunner | null
  metrics: Metrics
  traffic: TrafficRollup
  log: Logger
  retry: RetryPolicy
  /** This worker's consumer name: claims carry it, so they can be taken over if it dies. */
  consumer: string
  timeoutMaxMs: number
  attemptBodyMaxBytes: number
  /** In-flight deliveries of one subscription, so a slow receiver cannot take every slot. */
  subscriptionConcurrency: number
  /** In-flight deliveries of this worker, shared fairly between busy subscriptions. */
  concurrency: number
}

export class DeliverStage {
  readonly #d: DeliverDeps
  readonly #gate: SubscriptionGate
  readonly #claims: ClaimTask
  readonly #loader: Loader
  readonly #attemptDeps: AttemptDeps
  readonly #recorder: Recorder
  readonly #inFlight = new Set<Promise<void>>()
  /** Aborted at shutdown after the grace period: in-flight plugin calls give up. */
  readonly #shutdown = new AbortController()
  onIdle: () => void = () => {}

  constructor(d: DeliverDeps) {
    this.#d = d
    this.#gate = new SubscriptionGate(d.subscriptionConcurrency, d.concurrency)
    this.#loader = new Loader(d)
    const throttle = new Throttle({
      ...d,
      limitOf: async (id) => {
        const sub = await this.#loader.subscription(id)
        const limit = effectiveRateLimit(sub.rate_limit, d.plugins.defaultRateLimit(sub.action))
        return limit && { limit, action: sub.action }
      },
      onThrottled: (subscriptionId, action, n) => {
        d.metrics.deliveriesThrottled.inc({ action }, n)
        d.traffic.throttled(subscriptionId, n)
      },
    })
    this.#claims = new ClaimTask({
      ...d,
      gate: this.#gate,
      throttle,
      worker: d.consumer,
      defaultTimeoutMs: DEFAULT_DELIVERY_TIMEOUT_MS,
      maxTimeoutMs: d.timeoutMaxMs,
    })
    this.#attemptDeps = { ...d, loader: this.#loader }
    this.#recorder = new Recorder(d)
    this.#recorder.onSettled = () => this.onIdle()
  }

  /**
   * What counts against the worker's concurrency: deliveries running now, plus attempts
   * waiting to be committed beyond one batch's worth (so a slow database slows reading
   * instead of letting finished attempts pile up in memory).
   */
  get inFlight(): number {
    return this.#gate.running + Math.max(0, this.#recorder.waiting - RECORD_BATCH_MAX)
  }

  /**
   * Handles a batch read from the stream (or taken over from the dead workers named in
   * `takeOverFrom`); returns once each delivery has started.
   */
  handle = async (entries: StreamEntry[], takeOverFrom?: readonly string[]): Promise<void> => {
    const claimed = await this.#claims.claim(entries, takeOverFrom)
    if (claimed.length === 0) return
    const traceparents = isTracing() ? new Map(entries.map((e) => [e.id, e.fields.tp])) : null
    await this.#admit(claimed, traceparents)
  }

  async #admit(claimed: readonly Claimed[], traceparents: ReadonlyMap<string, string | undefined> | null): Promise<void> {
    const { admitted, waiting } = await this.#claims.admit(claimed)
    for (const a of admitted) this.#track(this.#run(a, a.claim.event ?? undefined, traceparents?.get(a.entryId)))
    if (waiting.length) this.#track(this.#waitForSlots(waiting, traceparents))
  }

  /**
   * Claims whose rate-limit slot is near wait for it here, holding their claim but no
   * delivery slot, and are admitted again when it comes (they go first: they hold it).
   * A failure leaves them claimed: reclaimed once the lease is over, nothing lost.
   */
  async #waitForSlots(waiting: readonly Claimed[], traceparents: ReadonlyMap<string, string | undefined> | null): Promise<void> {
    const bySlot = Map.groupBy(waiting, (c) => c.claim.slotAt!)
    await Promise.all(
      [...bySlot].map(async ([at, claims]) => {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())))
        try {
          await this.#admit(claims, traceparents)
        } catch (err) {
          this.#d.log.warn({ err: (err as Error).message, count: claims.length }, 'admitting deliveries at their rate-limit slot failed; they will be reclaimed')
        }
      }),
    )
  }

  #track(work: Promise<void>): void {
    const p = work.finally(() => {
      this.#inFlight.delete(p)
      this.onIdle()
    })
    this.#inFlight.add(p)
  }

  async #run(a: Admitted, event: EventRow | undefined, traceparent: string | undefined): Promise<void> {
    const d = this.#d
    const c = a.claim
    if (a.ready) {
      const waitedFrom = Date.now()
      await a.ready
      // The lease covers one timeout of waiting; a longer wait (the fair share shrank)
      // renews it first, so the claim cannot be taken over under a running attempt.
      if (Date.now() - waitedFrom > c.timeout_ms && !(await this.#renew(a))) {
        this.#gate.release(c.subscription_id, 0)
        return
      }
    }
    const span = isTracing() ? this.#startSpan(c, a.entryId, traceparent, event) : undefined
    const startedAt = Date.now()
    let result: Awaited<ReturnType<typeof attempt>>
    try {
      result = await withSpan(span, () => attempt(this.#attemptDeps, c, event, this.#shutdown.signal))
    } finally {
      this.#gate.release(c.subscription_id, Date.now() - startedAt)
    }
    const durationMs = Date.now() - startedAt
    const { outcome, subscription } = result
    const labels = { source: event?.source_slug ?? 'unknown', action: subscription?.action ?? 'unknown' }
    const error = outcome.outcome === 'ok' ? null : outcome.reason
    const record = attemptRecord({
      deliveryId: c.id,
      number: c.attempt_seq,
      startedAt,
      durationMs,
      outcome: outcome.outcome,
      exchange: 'exchange' in outcome ? outcome.exchange : undefined,
      error,
      maxBodyBytes: d.attemptBodyMaxBytes,
      eventBody: event?.body,
    })
    // A transform's skip counts as ok (docs/metrics.md: outcome is ok, retry or fail).
    const outcomeLabel = outcome.outcome === 'skip' ? 'ok' : outcome.outcome
    d.metrics.deliveriesAttempted.inc({ ...labels, outcome: outcomeLabel })
    d.metrics.deliveryDuration.observe({ ...labels, outcome: outcomeLabel }, durationMs / 1000)
    if (outcome.outcome === 'retry' || outcome.outcome === 'fail') {
      d.metrics.deliveryErrors.inc({ ...labels, status_class: statusClass(record.responseStatus ?? undefined, error ?? undefined) })
    }
    if (span) {
      span.updateName(`deliver ${labels.action}`)
      span.setAttributes({ [ATTR.source]: labels.source, [ATTR.action]: labels.action, [ATTR.outcome]: outcome.outcome })
      if (record.responseStatus) span.setAttribute(ATTR.httpStatus, record.responseStatus)
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error })
    }
    // Recorded without holding the delivery's slot: the receiver is free for the next
    // delivery while the batch commits. The entry is acked only after the commit.
    this.#recorder.add({
      claim: c,
      attempt: record,
      decision: decide(d.retry, c.attempt_count, outcome, Date.now()),
      entryId: a.entryId,
      labels,
      receivedAt: event?.received_at ?? startedAt,
    })
    span?.end()
  }

  /** Renews a claim's lease; false (slot to be given back, attempt skipped) when it was taken over or the renewal failed. */
  async #renew({ claim: c, entryId }: Admitted): Promise<boolean> {
    try {
      if (await renewLease(this.#d.db, c, 2 * c.timeout_ms + LEASE_MARGIN_MS)) return true
      this.#d.metrics.staleWrites.inc({ transition: 'renew' })
      // The new holder runs on its own entry; this one is done.
      await ack(this.#d.redis, this.#d.keys.deliveries, DELIVER_GROUP, [entryId])
    } catch (err) {
      this.#d.log.warn({ err: (err as Error).message, deliveryId: c.id }, 'renewing a lease failed; the delivery will be reclaimed')
    }
    return false
  }

  /**
   * The attempt's span: a consumer span, child of the fan-out producer span when the
   * entry carries its `tp`; otherwise (retry mover, reconciler, replay) the root of a new
   * trace linked to the webhook's original trace (events.traceparent).
   */
  #startSpan(c: Claim, entryId: string, traceparent: string | undefined, event: EventRow | undefined): Span {
    return startProcessSpan({
      name: 'deliver',
      streamKey: this.#d.keys.deliveries,
      group: DELIVER_GROUP,
      entryId,
      traceparent,
      original: event?.traceparent,
      attributes: { [ATTR.deliveryId]: c.id, [ATTR.eventId]: c.event_id, [ATTR.subscriptionId]: c.subscription_id, [ATTR.attempt]: c.attempt_count },
    })
  }

  /** Waits for in-flight deliveries up to `graceMs`, then aborts the rest and records them. */
  async drain(graceMs: number): Promise<void> {
    const all = Promise.allSettled([...this.#inFlight])
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref())
    if ((await Promise.race([all, timer])) === 'timeout') {
      this.#d.log.warn({ inFlight: this.#inFlight.size }, 'shutdown grace period over; aborting in-flight deliveries')
      this.#shutdown.abort(new Error('worker shutting down'))
      await all
    }
    await this.#recorder.drain()
  }
}
