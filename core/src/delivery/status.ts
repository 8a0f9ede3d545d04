/**
 * Delivery statuses, named once. Every SQL statement that tests a status takes it from
 * here through `statusIs` / `statusIn`, so a status is spelled in one file. They are
 * written into the SQL as literals, not bound parameters: the planner can then match
 * the partial indexes (sql/0008, 0013) even with a generic plan.
 */
import { sql, type FragmentSqlToken } from 'slonik'

export const Status = {
  /** Created (fan-out or replay), waiting for its first attempt. */
  pending: 'pending',
  /** Claimed by a worker; lease_until and claim_token fence the claim. */
  delivering: 'delivering',
  succeeded: 'succeeded',
  /** Waiting for its next attempt at next_attempt_at. */
  retrying: 'retrying',
  /** Will not be tried again (exhausted or a permanent failure); it has a dead letter. */
  dead: 'dead',
  /** The subscription's transform dropped the event (returned null). */
  skipped: 'skipped',
  /** A person gave up on a dead delivery. */
  discarded: 'discarded',
  /** Its subscription is disabled; resumed (due now) when the subscription is enabled. */
  paused: 'paused',
} as const

export type DeliveryStatus = (typeof Status)[keyof typeof Status]
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = Object.values(Status)

/** Work the relay still owes: the reconciler, retention and the failover look at these. */
export const UNFINISHED: readonly DeliveryStatus[] = [Status.pending, Status.delivering, Status.retrying]
/** Work still to be done some day, paused included: retention never prunes an event that has any. */
export const HELD: readonly DeliveryStatus[] = [...UNFINISHED, Status.paused]
/** A claim may start an attempt of these (when due). */
export const CLAIMABLE: readonly DeliveryStatus[] = [Status.pending, Status.retrying]
/** Final: nothing moves them except a person (replay of dead, retry of skipped). */
export const FINISHED: readonly DeliveryStatus[] = [Status.succeeded, Status.dead, Status.skipped, Status.discarded]
/** "Retry now" is offered for these. */
export const RETRYABLE_NOW: readonly DeliveryStatus[] = [Status.pending, Status.retrying, Status.dead, Status.skipped]
/** Counted as failing in the UI's overview and event log. */
export const FAILING: readonly DeliveryStatus[] = [Status.dead, Status.retrying]

/** `<column> = 'status'` */
export function statusIs(column: FragmentSqlToken, status: DeliveryStatus): FragmentSqlToken {
  return sql.fragment`${column} = ${lit(status)}`
}

/** `<column> IN ('a', 'b')` */
export function statusIn(column: FragmentSqlToken, statuses: readonly DeliveryStatus[]): FragmentSqlToken {
  return sql.fragment`${column} IN (${sql.join(statuses.map(lit), sql.fragment`, `)})`
}

/** A status as an SQL literal, for SET and CASE. */
export const lit = (status: DeliveryStatus): FragmentSqlToken => sql.literalValue(status)
