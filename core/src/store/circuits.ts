/**
 * Circuits (sql/0021): one row per subscription whose circuit is open or probing; a
 * closed circuit has none. Only the circuit task (worker/circuit-task.ts) writes them;
 * the claim reads them (transitions.ts) and the API and UI show them.
 */
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import type { Queryable } from '../db/pool.ts'
import { row } from '../db/row.ts'
import type { CircuitSettingsInput } from '../delivery/circuit-breaker.ts'

const Circuit = Type.Object({
  subscription_id: Type.String(),
  state: Type.Union([Type.Literal('open'), Type.Literal('probing')]),
  failing_since: Type.Number(),
  opens: Type.Integer(),
  open_until: Type.Number(),
  probe_delivery_id: Type.Union([Type.Null(), Type.String()]),
  probe_started_at: Type.Union([Type.Null(), Type.Number()]),
  /** The probe's attempt_seq when it was picked: its outcome is its next attempt's. */
  probe_attempt_seq: Type.Union([Type.Null(), Type.Integer()]),
  last_error: Type.Union([Type.Null(), Type.String()]),
})
export type CircuitRow = Static<typeof Circuit>
const CIRCUIT = row(Circuit)

const Candidate = Type.Object({
  subscription_id: Type.String(),
  circuit_breaker: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())]),
  consecutive_failures: Type.Integer(),
  last_error: Type.Union([Type.Null(), Type.String()]),
  circuit: Type.Union([Type.Null(), Circuit]),
})
export type CircuitCandidate = Static<typeof Candidate> & { circuit_breaker: CircuitSettingsInput | null }
const CANDIDATE = row(Candidate)

/**
 * Enabled subscriptions that are failing (subscription_health, as the workers' traffic
 * rollup reports it) or have a circuit: the few the circuit task looks at.
 */
export async function circuitCandidates(db: Queryable): Promise<readonly CircuitCandidate[]> {
  return db.any(sql.type(CANDIDATE)`
    SELECT s.id AS subscription_id, s.circuit_breaker, coalesce(h.consecutive_failures, 0)::int AS consecutive_failures, h.last_error,
      CASE WHEN c.subscription_id IS NULL THEN NULL ELSE jsonb_build_object(
        'subscription_id', c.subscription_id, 'state', c.state, 'failing_since', extract(epoch FROM c.failing_since) * 1000, 'opens', c.opens,
        'open_until', extract(epoch FROM c.open_until) * 1000, 'probe_delivery_id', c.probe_delivery_id,
        'probe_started_at', extract(epoch FROM c.probe_started_at) * 1000, 'probe_attempt_seq', c.probe_attempt_seq, 'last_error', c.last_error) END AS circuit
    FROM subscriptions s
      LEFT JOIN subscription_health h ON h.subscription_id = s.id
      LEFT JOIN circuits c ON c.subscription_id = s.id
    WHERE s.enabled AND (h.consecutive_failures > 0 OR c.subscription_id IS NOT NULL)
    ORDER BY s.id`) as Promise<readonly CircuitCandidate[]>
}

/** Opens a closed circuit; false when another run opened it first. */
export async function openCircuit(db: Queryable, subscriptionId: string, openUntilMs: number, lastError: string | null): Promise<boolean> {
  const r = await db.query(sql.unsafe`
    INSERT INTO circuits (subscription_id, state, failing_since, opens, open_until, last_error)
    VALUES (${subscriptionId}, 'open', now(), 1, to_timestamp(${openUntilMs / 1000}), ${lastError})
    ON CONFLICT (subscription_id) DO NOTHING`)
  return r.rowCount === 1
}

/** Open again until `openUntilMs`: `opens` counts this opening (a failed probe adds one; an inconclusive one does not). */
export async function reopenCircuit(db: Queryable, subscriptionId: string, o: { openUntilMs: number; opens: number; lastError: string | null }): Promise<void> {
  await db.query(sql.unsafe`
    UPDATE circuits SET state = 'open', opens = ${o.opens}, open_until = to_timestamp(${o.openUntilMs / 1000}),
      probe_delivery_id = NULL, probe_started_at = NULL, probe_attempt_seq = NULL, last_error = coalesce(${o.lastError}, last_error), updated_at = now()
    WHERE subscription_id = ${subscriptionId}`)
}

/**
 * Closes a circuit: its row goes, and the failure streak with it (the probe's success
 * ended it; the rollup that reports it may be a few seconds behind, and must not open
 * the circuit again on the old count).
 */
export async function closeCircuit(db: Queryable, subscriptionId: string): Promise<void> {
  // Both in the caller's transaction (with releaseHeld), or neither.
  await db.query(sql.unsafe`DELETE FROM circuits WHERE subscription_id = ${subscriptionId}`)
  await db.query(sql.unsafe`UPDATE subscription_health SET consecutive_failures = 0, updated_at = now() WHERE subscription_id = ${subscriptionId}`)
}

const ProbeOutcome = row(Type.Object({ outcome: Type.String() }))

/** The outcome of the probe's attempt ('ok', 'retry', 'fail', 'skip'): its first attempt numbered above `afterSeq`; null while it has none. */
export async function probeOutcome(db: Queryable, deliveryId: string, afterSeq: number): Promise<string | null> {
  return db.maybeOneFirst(sql.type(ProbeOutcome)`
    SELECT outcome FROM delivery_attempts WHERE delivery_id = ${deliveryId} AND number > ${afterSeq}
    ORDER BY number LIMIT 1`)
}

/** The circuits of these subscriptions (the closed ones have none). */
export async function circuitsOf(db: Queryable, subscriptionIds: readonly string[]): Promise<ReadonlyMap<string, CircuitRow>> {
  if (subscriptionIds.length === 0) return new Map()
  const rows = await db.any(sql.type(CIRCUIT)`
    SELECT subscription_id, state, failing_since, opens, open_until, probe_delivery_id, probe_started_at, probe_attempt_seq, last_error
    FROM circuits WHERE subscription_id = ANY(${sql.array(subscriptionIds, 'uuid')})`)
  return new Map(rows.map((r) => [r.subscription_id, r]))
}
