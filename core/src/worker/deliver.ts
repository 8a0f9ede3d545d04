/**
 * Delivery stage: delivery entries in; claim, transform, run the action plugin, record
 * the attempt, then retry / dead-letter / done. Attempts are written by a group commit
 * (many deliveries, one transaction), and each stream entry is acked only after its
 * attempt is committed, so a crash at any point leaves the entry to be reclaimed.
 */
import { context, SpanStatusCode, type Span } from '@opentelemetry/api'
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import type { RetryPolicy } from '../delivery/retry-policy.ts'
import { afterAttempt, type AttemptOutcome } from '../delivery/transitions.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { statusClass } from '../metrics/metrics.ts'
import type { ActionContext, ActionManifest, HttpClient, Payload, Signer, TcpConnect } from '../plugin/contract.ts'
import type { PluginHost } from '../plugin/host.ts'
import { scheduleRetries } from '../queue/enqueue.ts'
import type { RelayRedis } from '../redis/client.ts'
import { DELIVER_GROUP, type Keys } from '../redis/keys.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import { claimDeliveries, deferDeliveries, recordAttempts, type AttemptRecord, type ClaimedRow, type DeliveryUpdate } from '../store/deliveries.ts'
import { getEvents, toEventView, type EventRow } from '../store/events.ts'
import { activeSigningSecrets, getSubscription, type SubscriptionRow } from '../store/subscriptions.ts'
import { getTransformVersion } from '../store/transforms.ts'
import { isUuid } from '../store/ids.ts'
import { ATTR } from '../telemetry/attributes.ts'
import { startProcessSpan } from '../telemetry/stream-spans.ts'
import { isTracing, traced, traceHeadersOf, tracer, withSpan } from '../telemetry/tracer.ts'
import type { TransformRunner } from '../transform/types.ts'
import { GroupCommit } from '../util/group-commit.ts'
import { attemptRecord } from './attempt-record.ts'
import { SubscriptionGate } from './subscription-gate.ts'
import type { StreamEntry } from './stream-consumer.ts'

/** Default plugin call timeout when a subscription's config names none. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 15_000
/** Subscriptions change rarely; a short cache saves a query per delivery. */
const SUBSCRIPTION_CACHE_MS = 2_000
const RECORD_BATCH_MAX = 256
/** Attempts are recorded in batches: up to 10 ms of them, one transaction at a time. */
const RECORD_WAIT_MS = 10
const RECORD_IN_FLIGHT = 1

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
  log: Logger
  retry: RetryPolicy
  timeoutMaxMs: number
  attemptBodyMaxBytes: number
  /** In-flight deliveries of one subscription, so a slow receiver cannot take every slot. */
  subscriptionConcurrency: number
  /** In-flight deliveries of this worker, shared fairly between busy subscriptions. */
  concurrency: number
}

type OpenedSubscription = SubscriptionRow & { openedConfig: Record<string, unknown>; signingSecrets: string[] }

interface Finished {
  entryId: string
  attempt: AttemptRecord
  update: DeliveryUpdate
  labels: { source: string; action: string }
  receivedAt: number
}

export class DeliverStage {
  readonly #d: DeliverDeps
  readonly #recorder: GroupCommit<Finished, undefined>
  readonly #subs = new Map<string, { row: Promise<OpenedSubscription>; expires: number }>()
  readonly #code = new Map<string, Promise<string>>()
  readonly #inFlight = new Set<Promise<void>>()
  readonly #gate: SubscriptionGate
  /** Attempts handed to the recorder and not yet committed. */
  #recording = 0
  /** Aborted at shutdown after the grace period: in-flight plugin calls give up. */
  readonly #shutdown = new AbortController()
  onIdle: () => void = () => {}

  constructor(d: DeliverDeps) {
    this.#d = d
    this.#gate = new SubscriptionGate(d.subscriptionConcurrency, d.concurrency)
    this.#recorder = new GroupCommit({
      maxBatch: RECORD_BATCH_MAX,
      maxWaitMs: RECORD_WAIT_MS,
      maxInFlight: RECORD_IN_FLIGHT,
      flush: async (items) => {
        await this.#commit(items)
        return items.map(() => undefined)
      },
    })
  }

  /**
   * What counts against the worker's concurrency: deliveries running now, plus attempts
   * waiting to be committed beyond one batch's worth (so a slow database slows reading
   * instead of letting finished attempts pile up in memory).
   */
  get inFlight(): number {
    return this.#gate.running + Math.max(0, this.#recording - RECORD_BATCH_MAX)
  }

  /** Handles a batch read from the stream; returns once each delivery has started. */
  handle = async (entries: StreamEntry[]): Promise<void> => {
    const { db, redis, keys, timeoutMaxMs } = this.#d
    const byDelivery = new Map<string, string[]>()
    for (const e of entries) {
      const id = e.fields.d
      if (!id || !isUuid(id)) continue
      byDelivery.set(id, [...(byDelivery.get(id) ?? []), e.id])
    }
    // Lease a little past the longest plugin call, so a live worker is never fenced out.
    const claimed = await claimDeliveries(db, [...byDelivery.keys()], timeoutMaxMs + Math.min(10_000, timeoutMaxMs))
    const claimedIds = new Set(claimed.map((c) => c.id))
    // Entries with nothing to claim are duplicates or already finished: ack them now.
    const stale = entries.filter((e) => !claimedIds.has(e.fields.d ?? ''))
    if (stale.length) await redis.xack(keys.deliveries, DELIVER_GROUP, ...stale.map((e) => e.id))
    if (claimed.length === 0) return

    // Fairness (subscription-gate.ts): run, wait briefly for a slot, or go back to wait
    // in the retry set without an attempt counted.
    const deferred: { id: string; atMs: number; entryIds: string[] }[] = []
    const admitted: { c: ClaimedRow; ready: Promise<void> | null }[] = []
    const now = Date.now()
    for (const c of claimed) {
      const a = this.#gate.admit(c.subscription_id, now)
      if (a.kind === 'defer') deferred.push({ id: c.id, atMs: now + a.afterMs, entryIds: byDelivery.get(c.id)! })
      else admitted.push({ c, ready: a.kind === 'wait' ? a.ready : null })
    }
    if (deferred.length) {
      await deferDeliveries(db, deferred)
      await scheduleRetries(redis, keys, deferred)
      await redis.xack(keys.deliveries, DELIVER_GROUP, ...deferred.flatMap((x) => x.entryIds))
      this.#d.metrics.deliveriesDeferred.inc(deferred.length)
    }
    if (admitted.length === 0) return

    const events = new Map((await getEvents(db, [...new Set(admitted.map((x) => x.c.event_id))])).map((e) => [e.id, e]))
    const traceparents = isTracing() ? new Map(entries.map((e) => [e.id, e.fields.tp])) : null
    for (const { c, ready } of admitted) {
      const entryIds = byDelivery.get(c.id)!
      // Extra entries for one delivery in one batch: ack all but the one we run with.
      if (entryIds.length > 1) await redis.xack(keys.deliveries, DELIVER_GROUP, ...entryIds.slice(1))
      const run = async () => {
        if (ready) await ready
        const span = traceparents ? this.#startSpan(c, entryIds[0]!, traceparents.get(entryIds[0]!), events.get(c.event_id)) : undefined
        const started = Date.now()
        try {
          await this.#deliverOne(c, entryIds[0]!, events.get(c.event_id), span)
        } finally {
          this.#gate.release(c.subscription_id, Date.now() - started)
        }
      }
      const p = run().finally(() => {
        this.#inFlight.delete(p)
        this.onIdle()
      })
      this.#inFlight.add(p)
    }
  }

  /**
   * The attempt's span: a consumer span, child of the fan-out producer span when the
   * entry carries its `tp`; otherwise (retry mover, reconciler, replay) the root of a new
   * trace linked to the webhook's original trace (events.traceparent).
   */
  #startSpan(c: ClaimedRow, entryId: string, traceparent: string | undefined, event: EventRow | undefined): Span {
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

  async #deliverOne(c: ClaimedRow, entryId: string, event: EventRow | undefined, span?: Span): Promise<void> {
    const d = this.#d
    const startedAt = Date.now()
    let labels = { source: event?.source_slug ?? 'unknown', action: 'unknown' }
    const outcome: AttemptOutcome = await withSpan(span, async (): Promise<AttemptOutcome> => {
      try {
        if (!event) throw new Error(`event ${c.event_id} no longer exists`)
        const sub = await this.#subscription(c.subscription_id)
        labels = { source: event.source_slug, action: sub.action }
        span?.updateName(`deliver ${sub.action}`)
        const manifest = d.plugins.get(sub.action)
        return manifest
          ? await this.#attempt(manifest, sub, event, c)
          : { outcome: 'fail', reason: `action plugin "${sub.action}" is not installed on this worker` }
      } catch (err) {
        return { outcome: 'retry', reason: `worker error: ${(err as Error).message}` }
      }
    })
    const durationMs = Date.now() - startedAt

    const update = afterAttempt(d.retry, { id: c.id, subscriptionId: c.subscription_id, attempt: c.attempt_count }, outcome, Date.now())
    const error = outcome.outcome === 'ok' ? null : outcome.reason
    const attempt = attemptRecord({
      deliveryId: c.id,
      number: c.attempt_seq,
      startedAt,
      durationMs,
      outcome: outcome.outcome,
      exchange: 'exchange' in outcome ? outcome.exchange : undefined,
      error,
      maxBodyBytes: d.attemptBodyMaxBytes,
    })
    // A transform's skip counts as ok (docs/metrics.md: outcome is ok, retry or fail).
    const outcomeLabel = outcome.outcome === 'skip' ? 'ok' : outcome.outcome
    d.metrics.deliveriesAttempted.inc({ ...labels, outcome: outcomeLabel })
    d.metrics.deliveryDuration.observe({ ...labels, outcome: outcomeLabel }, durationMs / 1000)
    if (outcome.outcome === 'retry' || outcome.outcome === 'fail') {
      d.metrics.deliveryErrors.inc({ ...labels, status_class: statusClass(attempt.responseStatus ?? undefined, error ?? undefined) })
    }
    if (span) {
      span.setAttributes({ [ATTR.source]: labels.source, [ATTR.action]: labels.action, [ATTR.outcome]: outcome.outcome })
      if (attempt.responseStatus) span.setAttribute(ATTR.httpStatus, attempt.responseStatus)
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error })
    }
    // Recorded by the group commit without holding the delivery's slot: the receiver is
    // free for the next delivery while the batch commits. The stream entry is acked only
    // after the commit; if the commit fails it stays unacked and is reclaimed (retried).
    this.#recording++
    void this.#recorder
      .add({ entryId, attempt, update, labels, receivedAt: event?.received_at ?? startedAt })
      .catch((err: Error) => d.log.error({ err: err.message, deliveryId: c.id }, 'recording an attempt failed; the delivery will be reclaimed'))
      .finally(() => {
        this.#recording--
        this.onIdle()
      })
    span?.end()
  }

  async #attempt(manifest: ActionManifest, sub: OpenedSubscription, event: EventRow, c: ClaimedRow): Promise<AttemptOutcome> {
    const d = this.#d
    const view = toEventView(event)
    let payload: Payload = { body: event.body, contentType: event.content_type ?? 'application/octet-stream', headers: {} }
    if (sub.transform_version_id) {
      if (!d.transforms) return { outcome: 'fail', reason: 'transform: this worker has no transform runner' }
      const code = await this.#transformCode(sub.transform_version_id)
      const runner = d.transforms
      const tspan = isTracing() ? tracer.startSpan('transform', { attributes: { [ATTR.transformVersion]: sub.transform_version_id } }) : undefined
      const t = await traced(tspan, async () => {
        const r = await runner.run(code, view)
        tspan?.setAttribute(ATTR.transformResult, r.kind)
        if (r.kind === 'error') tspan?.setStatus({ code: SpanStatusCode.ERROR, message: r.error.message })
        return r
      })
      if (t.kind === 'skip') return { outcome: 'skip', reason: 'transform returned null' }
      if (t.kind === 'error') {
        const at = t.error.line ? ` (line ${t.error.line}${t.error.column ? `:${t.error.column}` : ''})` : ''
        return { outcome: 'fail', reason: `transform ${t.error.kind} error: ${t.error.message}${at}` }
      }
      payload = t.payload
    }
    const config = sub.openedConfig
    const timeoutMs = Math.min(typeof config.timeoutMs === 'number' ? config.timeoutMs : DEFAULT_DELIVERY_TIMEOUT_MS, d.timeoutMaxMs)
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#shutdown.signal])
    // Captured here, inside the attempt's span: the plugin may call it from any callback.
    const active = context.active()
    const ctx: ActionContext = {
      http: d.http,
      connect: d.connect,
      log: d.log.child({ deliveryId: c.id, action: sub.action }),
      signer: d.signer,
      traceHeaders: () => (isTracing() ? traceHeadersOf(active) : {}),
    }
    try {
      return await manifest.deliver(
        {
          event: view,
          payload,
          config,
          subscription: { id: sub.id, signingSecrets: sub.signingSecrets },
          delivery: { id: c.id, webhookId: c.webhook_id, attempt: c.attempt_count },
          signal,
        },
        ctx,
      )
    } catch (err) {
      // A plugin should return retry/fail, not throw; a throw is treated as transient.
      const reason = signal.aborted ? `timed out after ${timeoutMs} ms` : `plugin ${sub.action} threw: ${(err as Error).message}`
      return { outcome: 'retry', reason }
    }
  }

  async #commit(items: Finished[]): Promise<void> {
    const { db, redis, keys, metrics } = this.#d
    await recordAttempts(db, items.map((i) => i.attempt), items.map((i) => i.update))
    const now = Date.now()
    const retries = items.filter((i) => i.update.status === 'retrying').map((i) => ({ id: i.update.deliveryId, atMs: i.update.nextAttemptAt ?? now }))
    // The rows are committed: from here a lost write is repaired by the reconciler.
    await scheduleRetries(redis, keys, retries)
    const pipe = redis.pipeline()
    for (const i of items) {
      if (i.update.status === 'dead') {
        pipe.xadd(keys.dlq, '*', 'd', i.update.deliveryId, 'reason', i.update.deadReason ?? 'permanent')
        metrics.deliveriesDead.inc({ ...i.labels, reason: i.update.deadReason ?? 'permanent' })
      }
      if (i.update.status === 'succeeded') metrics.endToEnd.observe(i.labels, (now - i.receivedAt) / 1000)
    }
    pipe.xack(keys.deliveries, DELIVER_GROUP, ...items.map((i) => i.entryId))
    await pipe.exec()
  }

  /** The subscription with its config and signing secrets decrypted, cached briefly. */
  #subscription(id: string): Promise<OpenedSubscription> {
    const now = Date.now()
    const hit = this.#subs.get(id)
    if (hit && hit.expires > now) return hit.row
    const row = getSubscription(this.#d.db, id).then((sub) => ({
      ...sub,
      openedConfig: this.#d.plugins.openConfig(sub.action, sub.config),
      // Secrets expire by time: the cache lives 2 s, so a rotation's end is at most that late.
      signingSecrets: activeSigningSecrets(this.#d.box, sub.signing_secrets),
    }))
    this.#subs.set(id, { row, expires: now + SUBSCRIPTION_CACHE_MS })
    row.catch(() => this.#subs.delete(id))
    return row
  }


  #transformCode(versionId: string): Promise<string> {
    let p = this.#code.get(versionId)
    if (!p) {
      // Versions are immutable, so the cache never goes stale.
      p = getTransformVersion(this.#d.db, versionId).then((v) => v.code)
      p.catch(() => this.#code.delete(versionId))
      this.#code.set(versionId, p)
    }
    return p
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

