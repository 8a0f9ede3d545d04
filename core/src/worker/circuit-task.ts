/**
 * Circuit task (docs/delivery-control.md): every RELAY_CIRCUIT_INTERVAL_MS one worker (a
 * Redis lease) looks at the subscriptions that are failing or have a circuit, and
 *   opens    a closed circuit whose failure streak (subscription_health, as the traffic
 *            rollup reports it every few seconds) reached the subscription's threshold:
 *            from then on its claims hold their deliveries (transitions.ts claim) instead
 *            of spending attempts;
 *   probes   an open circuit whose time is up: its oldest waiting delivery is made due
 *            and is the only one a claim lets through;
 *   closes   on the probe's success: the streak is over, every held delivery is due now;
 *   reopens  on the probe's failure, for twice as long (up to an hour);
 *   disables a subscription whose probe failed after its circuit had been open longer
 *            than its disableAfterHours, with the reason on it, its waiting work paused.
 * Opening, closing and disabling are also system events (system-events.ts), which other
 * subscriptions can act on (an incident in Opsgenie or PagerDuty), and a metric.
 */
import type { Logger } from 'pino'
import { sql } from 'slonik'
import type { Db, Queryable } from '../db/pool.ts'
import { effectiveCircuit, probeIntervalMs, type CircuitSettings } from '../delivery/circuit-breaker.ts'
import { pauseSubscription, pickProbe, releaseHeld } from '../delivery/transitions.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { enqueueDueNow } from '../queue/enqueue.ts'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import { withLease } from '../redis/lease.ts'
import { circuitCandidates, closeCircuit, openCircuit, probeOutcome, reopenCircuit, type CircuitCandidate } from '../store/circuits.ts'
import type { SystemEvents } from '../system-events.ts'
import { every } from './periodic.ts'

/** How long a probe may take before another is picked (an attempt is bounded well within it). */
export const PROBE_LEASE_MS = 5 * 60_000
/** A claim that read the circuit just before it closed may hold a delivery after the release: released again this much later. */
const RELEASE_AGAIN_MS = 5_000
/** The task's lease: longer than any run (a release over a large backlog included). */
const LEASE_MIN_MS = 60_000

export interface CircuitTaskDeps {
  readonly db: Db
  readonly redis: RelayRedis
  readonly keys: Keys
  readonly log: Logger
  readonly metrics: Metrics
  readonly events: SystemEvents
  readonly defaults: CircuitSettings
  readonly intervalMs: number
}

export function createCircuitTask(d: CircuitTaskDeps) {
  const { db, redis, keys, log } = d

  type Kind = 'opened' | 'closed' | 'reopened' | 'disabled'
  const counted = (subscriptionId: string, kind: Kind, data: Record<string, unknown>) => {
    d.metrics.circuitTransitions.inc({ transition: kind })
    log.info({ subscriptionId, transition: kind, ...data }, `circuit ${kind}`)
  }
  /** The system event of a change, stored in the change's transaction: both or neither. */
  const storeEvent = (tx: Queryable, subscriptionId: string, kind: Exclude<Kind, 'reopened'>, data: Record<string, unknown>) =>
    d.events.store(tx, kind === 'disabled' ? 'subscription.disabled' : `circuit.${kind}`, { subscriptionId, ...data })

  const open = async (c: CircuitCandidate, s: CircuitSettings, now: number) => {
    const data = { consecutiveFailures: c.consecutive_failures, lastError: c.last_error, probeInMs: probeIntervalMs(1, s) }
    const event = await db.transaction(async (tx) =>
      (await openCircuit(tx, c.subscription_id, now + probeIntervalMs(1, s), c.last_error)) ? { id: await storeEvent(tx, c.subscription_id, 'opened', data) } : null)
    if (!event) return
    counted(c.subscription_id, 'opened', data)
    await d.events.enqueue([event.id])
  }

  /** Closes in one transaction; the release runs once more a little later, for claims that read the circuit just before it closed. */
  const close = async (subscriptionId: string, reason: string) => {
    const { due, event } = await db.transaction(async (tx) => {
      await closeCircuit(tx, subscriptionId)
      const due = await releaseHeld(tx, subscriptionId)
      return { due, event: await storeEvent(tx, subscriptionId, 'closed', { reason, released: due.length }) }
    })
    counted(subscriptionId, 'closed', { reason, released: due.length })
    await enqueueDueNow(redis, keys, due)
    await d.events.enqueue([event])
    setTimeout(() => {
      void releaseHeld(db, subscriptionId)
        .then((late) => enqueueDueNow(redis, keys, late))
        .catch((err: Error) => log.warn({ err: err.message, subscriptionId }, 'second release after a close failed; held work comes back within the hour'))
    }, RELEASE_AGAIN_MS).unref()
  }

  const disable = async (c: CircuitCandidate, failingSince: number, lastError: string | null) => {
    const reason = `circuit breaker: failing since ${new Date(failingSince).toISOString()}${lastError ? `: ${lastError}` : ''}`.slice(0, 1000)
    const data = { reason, failingSince: new Date(failingSince).toISOString(), lastError }
    const event = await db.transaction(async (tx) => {
      const r = await tx.query(sql.unsafe`UPDATE subscriptions SET enabled = false, disabled_reason = ${reason}, updated_at = now() WHERE id = ${c.subscription_id} AND enabled`)
      await pauseSubscription(tx, c.subscription_id)
      // Enabled again by a person, it starts closed, with a clean streak.
      await closeCircuit(tx, c.subscription_id)
      return r.rowCount === 1 ? { id: await storeEvent(tx, c.subscription_id, 'disabled', data) } : null
    })
    if (!event) return
    counted(c.subscription_id, 'disabled', data)
    await d.events.enqueue([event.id])
  }

  async function step(c: CircuitCandidate, now: number): Promise<void> {
    const s = effectiveCircuit(c.circuit_breaker, d.defaults)
    const circuit = c.circuit
    if (!circuit) {
      if (s.enabled && c.consecutive_failures >= s.failures) await open(c, s, now)
      return
    }
    if (!s.enabled) return close(c.subscription_id, 'the circuit breaker was turned off')
    if (circuit.state === 'open') {
      if (circuit.open_until > now) return
      // Nothing waits: no probe yet; the next delivery to arrive is picked on a later run.
      const probe = await pickProbe(db, c.subscription_id, now + PROBE_LEASE_MS)
      if (probe) await enqueueDueNow(redis, keys, [probe])
      return
    }
    const outcome = circuit.probe_delivery_id && circuit.probe_attempt_seq !== null ? await probeOutcome(db, circuit.probe_delivery_id, circuit.probe_attempt_seq) : null
    if (outcome === 'ok') return close(c.subscription_id, 'the probe succeeded')
    if (outcome === 'retry' || outcome === 'fail') {
      // Disabled only on evidence: a probe that failed after the circuit had been open that long.
      if (s.disableAfterHours > 0 && now - circuit.failing_since >= s.disableAfterHours * 3_600_000) return disable(c, circuit.failing_since, c.last_error ?? circuit.last_error)
      const opens = circuit.opens + 1
      await reopenCircuit(db, c.subscription_id, { openUntilMs: now + probeIntervalMs(opens, s), opens, lastError: c.last_error })
      counted(c.subscription_id, 'reopened', { opens, probeInMs: probeIntervalMs(opens, s) })
      return
    }
    // Skipped by its transform (says nothing about the receiver), or no answer in time: another probe now.
    if (outcome === 'skip' || circuit.open_until <= now) await reopenCircuit(db, c.subscription_id, { openUntilMs: now, opens: circuit.opens, lastError: null })
  }

  async function run(): Promise<void> {
    await withLease(redis, keys.circuitLock, Math.max(d.intervalMs * 4, LEASE_MIN_MS), async () => {
      const now = Date.now()
      for (const c of await circuitCandidates(db)) {
        try {
          await step(c, now)
        } catch (err) {
          log.warn({ err: (err as Error).message, subscriptionId: c.subscription_id }, 'circuit step failed; tried again next run')
        }
      }
    })
  }
  return { run }
}

export function startCircuitTask(d: CircuitTaskDeps) {
  const task = createCircuitTask(d)
  return { ...every(d.intervalMs, 'circuit task run', d.log, task.run), run: task.run }
}
