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
 *   disables a subscription whose circuit has been open longer than its disableAfterHours,
 *            with the reason on it, its waiting work paused.
 * Opening, closing and disabling are also system events (system-events.ts), which other
 * subscriptions can act on (an incident in Opsgenie or PagerDuty), and a metric.
 */
import type { Logger } from 'pino'
import { sql } from 'slonik'
import type { Db } from '../db/pool.ts'
import { effectiveCircuit, probeIntervalMs, type CircuitSettings } from '../delivery/circuit-breaker.ts'
import { pauseSubscription, pickProbe, releaseHeld } from '../delivery/transitions.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { enqueueDueNow } from '../queue/enqueue.ts'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import { withLease } from '../redis/lease.ts'
import { circuitCandidates, closeCircuit, markProbing, openCircuit, probeOutcome, reopenCircuit, type CircuitCandidate } from '../store/circuits.ts'
import type { SystemEvents } from '../system-events.ts'
import { every } from './periodic.ts'

/** How long a probe may take before another is picked (an attempt is bounded well within it). */
export const PROBE_LEASE_MS = 5 * 60_000

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

  const transition = async (subscriptionId: string, kind: 'opened' | 'closed' | 'reopened' | 'disabled', data: Record<string, unknown>) => {
    d.metrics.circuitTransitions.inc({ transition: kind })
    log.info({ subscriptionId, transition: kind, ...data }, `circuit ${kind}`)
    if (kind === 'reopened') return
    const type = kind === 'disabled' ? 'subscription.disabled' : `circuit.${kind}` as const
    try {
      await d.events.emit(type, { subscriptionId, ...data })
    } catch (err) {
      log.warn({ err: (err as Error).message, subscriptionId, type }, 'system event not stored')
    }
  }

  const close = async (subscriptionId: string, reason: string) => {
    await closeCircuit(db, subscriptionId)
    const due = await releaseHeld(db, subscriptionId)
    await enqueueDueNow(redis, keys, due)
    await transition(subscriptionId, 'closed', { reason, released: due.length })
  }

  async function step(c: CircuitCandidate, now: number): Promise<void> {
    const s = effectiveCircuit(c.circuit_breaker, d.defaults)
    const circuit = c.circuit
    if (!circuit) {
      if (!s.enabled || c.consecutive_failures < s.failures) return
      if (await openCircuit(db, c.subscription_id, now + probeIntervalMs(1, s), c.last_error)) {
        await transition(c.subscription_id, 'opened', { consecutiveFailures: c.consecutive_failures, lastError: c.last_error, probeInMs: probeIntervalMs(1, s) })
      }
      return
    }
    if (!s.enabled) return close(c.subscription_id, 'the circuit breaker was turned off')
    const failingMs = now - circuit.failing_since
    if (s.disableAfterHours > 0 && failingMs >= s.disableAfterHours * 3_600_000) {
      const reason = `circuit breaker: failing since ${new Date(circuit.failing_since).toISOString()}${circuit.last_error ? `: ${circuit.last_error}` : ''}`.slice(0, 1000)
      await db.transaction(async (tx) => {
        await tx.query(sql.unsafe`UPDATE subscriptions SET enabled = false, disabled_reason = ${reason}, updated_at = now() WHERE id = ${c.subscription_id} AND enabled`)
        await pauseSubscription(tx, c.subscription_id)
        // Enabled again by a person, it starts closed, with a clean streak.
        await closeCircuit(tx, c.subscription_id)
      })
      await transition(c.subscription_id, 'disabled', { reason, failingSince: new Date(circuit.failing_since).toISOString(), lastError: circuit.last_error })
      return
    }
    if (circuit.state === 'open') {
      if (circuit.open_until > now) return
      const probe = await pickProbe(db, c.subscription_id)
      // Nothing waits: no probe yet; the next delivery to arrive is picked on a later run.
      if (!probe) return
      await markProbing(db, c.subscription_id, probe, now + PROBE_LEASE_MS)
      await enqueueDueNow(redis, keys, [probe])
      return
    }
    const outcome = circuit.probe_delivery_id && circuit.probe_started_at !== null ? await probeOutcome(db, circuit.probe_delivery_id, circuit.probe_started_at - 1_000) : null
    if (outcome === 'ok') return close(c.subscription_id, 'the probe succeeded')
    if (outcome === 'retry' || outcome === 'fail') {
      const opens = circuit.opens + 1
      await reopenCircuit(db, c.subscription_id, { openUntilMs: now + probeIntervalMs(opens, s), opens, lastError: c.last_error })
      await transition(c.subscription_id, 'reopened', { opens, probeInMs: probeIntervalMs(opens, s) })
      return
    }
    // Skipped by its transform (says nothing about the receiver), or no answer in time: another probe now.
    if (outcome === 'skip' || circuit.open_until <= now) await reopenCircuit(db, c.subscription_id, { openUntilMs: now, opens: circuit.opens, lastError: null })
  }

  async function run(): Promise<void> {
    await withLease(redis, keys.circuitLock, Math.max(d.intervalMs * 4, 10_000), async () => {
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
