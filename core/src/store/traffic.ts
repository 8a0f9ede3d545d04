/**
 * The traffic rollup's tables (sql/0018): the writes a process makes when it adds its
 * counts, and the reads behind the overview's charts and subscription health. Writes
 * are sorted by key so two processes adding at once lock rows in the same order and
 * cannot deadlock.
 */
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import type { Db, Queryable } from '../db/pool.ts'
import { row } from '../db/row.ts'
import { addLatency, LATENCY_BUCKETS } from '../traffic/latency.ts'

/** How long counts are kept: the overview shows at most a day. */
export const TRAFFIC_KEEP_MS = 2 * 86_400_000

/** The spans counts are kept at, in minutes: every count goes into one row of each. */
export const SPANS = [1, 15] as const
export type Span = (typeof SPANS)[number]

/** The span a chart of `stepMs` steps reads: the longest that divides its step. */
export function spanFor(stepMs: number): Span {
  return stepMs % (15 * 60_000) === 0 ? 15 : 1
}

export interface EventCount {
  readonly minute: number
  readonly sourceId: string
  readonly events: number
}

export interface AttemptCount {
  readonly minute: number
  readonly subscriptionId: string
  readonly succeeded: number
  readonly failed: number
  readonly dead: number
  readonly skipped: number
  /** Deliveries the rate limit made wait for a later slot (worker/throttle.ts). */
  readonly throttled: number
  readonly latency: readonly number[]
}

export interface HealthChange {
  readonly subscriptionId: string
  /** Null: no success among these attempts. */
  readonly lastSuccessAt: number | null
  readonly lastFailureAt: number | null
  readonly lastError: string | null
  /** Failures after the last success among these attempts (all of them without one). */
  readonly trailingFailures: number
}

const byKey = <T>(rows: readonly T[], key: (r: T) => string) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))

/**
 * Per-minute counts as rows of every span, summed per span start and id, sorted by
 * key (the lock order).
 */
function atEverySpan<C extends { minute: number }>(counts: readonly C[], id: (c: C) => string, add: (into: C, from: C) => C): (C & { span: Span })[] {
  const rows = new Map<string, C & { span: Span }>()
  for (const span of SPANS) {
    const ms = span * 60_000
    for (const c of counts) {
      const minute = c.minute - (c.minute % ms)
      const key = `${span}|${minute}|${id(c)}`
      const had = rows.get(key)
      rows.set(key, had ? { ...add(had, c), span, minute } : { ...c, span, minute })
    }
  }
  return byKey([...rows.values()], (r) => `${String(r.span).padStart(2, '0')}|${r.minute}|${id(r)}`)
}

export async function addEventCounts(db: Queryable, counts: readonly EventCount[]): Promise<void> {
  if (counts.length === 0) return
  const rows = atEverySpan(counts, (c) => c.sourceId, (a, b) => ({ ...a, events: a.events + b.events }))
  await db.query(sql.unsafe`
    INSERT INTO traffic_events (span, minute, source_id, events)
    SELECT u.span, to_timestamp(u.minute / 1000.0), u.source_id, u.events
    FROM ${sql.unnest(rows.map((c) => [c.span, c.minute, c.sourceId, c.events]), ['int2', 'int8', 'uuid', 'int8'])} AS u(span, minute, source_id, events)
    ON CONFLICT (span, minute, source_id) DO UPDATE SET events = traffic_events.events + excluded.events`)
}

/** Two counts of the same key added up (a new object; latency bucket by bucket). */
export function sumAttemptCounts<C extends AttemptCount>(a: C, b: AttemptCount): C {
  return {
    ...a,
    succeeded: a.succeeded + b.succeeded,
    failed: a.failed + b.failed,
    dead: a.dead + b.dead,
    skipped: a.skipped + b.skipped,
    throttled: a.throttled + b.throttled,
    latency: addLatency([...a.latency], b.latency),
  }
}

export async function addAttemptCounts(db: Queryable, counts: readonly AttemptCount[]): Promise<void> {
  if (counts.length === 0) return
  const rows = atEverySpan(counts, (c) => c.subscriptionId, sumAttemptCounts)
  // A JSON record set: unnest cannot carry one array per row.
  await db.query(sql.unsafe`
    INSERT INTO traffic_attempts (span, minute, subscription_id, succeeded, failed, dead, skipped, throttled, latency)
    SELECT r.span, to_timestamp(r."minute" / 1000.0), r."subscriptionId", r.succeeded, r.failed, r.dead, r.skipped, r.throttled, r.latency
    FROM jsonb_to_recordset(${sql.jsonb(rows as never)})
      AS r(span int2, "minute" int8, "subscriptionId" uuid, succeeded int8, failed int8, dead int8, skipped int8, throttled int8, latency int8[])
    ON CONFLICT (span, minute, subscription_id) DO UPDATE SET
      succeeded = traffic_attempts.succeeded + excluded.succeeded,
      failed = traffic_attempts.failed + excluded.failed,
      dead = traffic_attempts.dead + excluded.dead,
      skipped = traffic_attempts.skipped + excluded.skipped,
      throttled = traffic_attempts.throttled + excluded.throttled,
      latency = (SELECT array_agg(coalesce(a, 0) + coalesce(b, 0) ORDER BY i)
                 FROM unnest(traffic_attempts.latency, excluded.latency) WITH ORDINALITY AS x(a, b, i))`)
}

/**
 * A success resets the failure streak to the failures after it, unless failures newer
 * than it are already counted (another worker's flush came first): then the streak only
 * grows. Without a success it grows. Subscriptions deleted meanwhile are skipped (the join).
 */
export async function updateHealth(db: Queryable, changes: readonly HealthChange[]): Promise<void> {
  if (changes.length === 0) return
  const rows = byKey(changes, (c) => c.subscriptionId)
  await db.query(sql.unsafe`
    INSERT INTO subscription_health (subscription_id, last_success_at, last_failure_at, last_error, consecutive_failures, updated_at)
    SELECT r."subscriptionId", to_timestamp(r."lastSuccessAt" / 1000.0), to_timestamp(r."lastFailureAt" / 1000.0), r."lastError", r."trailingFailures", now()
    FROM jsonb_to_recordset(${sql.jsonb(rows as never)})
      AS r("subscriptionId" uuid, "lastSuccessAt" int8, "lastFailureAt" int8, "lastError" text, "trailingFailures" int8)
      JOIN subscriptions s ON s.id = r."subscriptionId"
    ORDER BY r."subscriptionId"
    ON CONFLICT (subscription_id) DO UPDATE SET
      last_success_at = GREATEST(subscription_health.last_success_at, excluded.last_success_at),
      last_failure_at = GREATEST(subscription_health.last_failure_at, excluded.last_failure_at),
      last_error = CASE WHEN excluded.last_failure_at IS NOT NULL THEN excluded.last_error ELSE subscription_health.last_error END,
      consecutive_failures = CASE
        WHEN excluded.last_success_at IS NOT NULL
          AND (subscription_health.last_failure_at IS NULL OR excluded.last_success_at >= subscription_health.last_failure_at)
        THEN excluded.consecutive_failures
        ELSE subscription_health.consecutive_failures + excluded.consecutive_failures END,
      updated_at = now()`)
}

const Deleted = row(Type.Object({ n: Type.Integer() }))

/** Drops counts older than TRAFFIC_KEEP_MS (retention's maintenance run calls it). */
export async function pruneTraffic(db: Db, now = Date.now()): Promise<number> {
  const before = new Date(now - TRAFFIC_KEEP_MS).toISOString()
  return db.oneFirst(sql.type(Deleted)`
    WITH e AS (DELETE FROM traffic_events WHERE minute < ${before}::timestamptz RETURNING 1),
         a AS (DELETE FROM traffic_attempts WHERE minute < ${before}::timestamptz RETURNING 1)
    SELECT ((SELECT count(*) FROM e) + (SELECT count(*) FROM a))::int AS n`)
}

const Point = Type.Object({ at: Type.Number(), events: Type.Integer(), succeeded: Type.Integer(), failed: Type.Integer() })
export type TrafficPoint = Static<typeof Point>
const POINT = row(Point)

/**
 * Events received and attempts made per step over [since, now), every step present
 * (zero when nothing happened), oldest first: what a chart draws. Reads the longest
 * span that divides the step.
 */
export async function trafficSeries(db: Queryable, opts: { sinceMs: number; stepMs: number; now?: number }): Promise<readonly TrafficPoint[]> {
  const step = opts.stepMs / 1000
  const span = spanFor(opts.stepMs)
  const since = Math.floor(opts.sinceMs / opts.stepMs) * opts.stepMs
  const now = opts.now ?? Date.now()
  return db.any(sql.type(POINT)`
    WITH steps AS (
      SELECT generate_series(to_timestamp(${since / 1000}), to_timestamp(${now / 1000}), make_interval(secs => ${step})) AS at
    ), ev AS (
      SELECT date_bin(make_interval(secs => ${step}), minute, to_timestamp(0)) AS at, sum(events) AS n
      FROM traffic_events WHERE span = ${span} AND minute >= to_timestamp(${since / 1000}) GROUP BY 1
    ), att AS (
      SELECT date_bin(make_interval(secs => ${step}), minute, to_timestamp(0)) AS at, sum(succeeded) AS ok, sum(failed) AS bad
      FROM traffic_attempts WHERE span = ${span} AND minute >= to_timestamp(${since / 1000}) GROUP BY 1
    )
    SELECT steps.at, coalesce(ev.n, 0)::int AS events, coalesce(att.ok, 0)::int AS succeeded, coalesce(att.bad, 0)::int AS failed
    FROM steps LEFT JOIN ev ON ev.at = steps.at LEFT JOIN att ON att.at = steps.at
    ORDER BY steps.at`)
}

const SubscriptionTraffic = Type.Object({
  subscription_id: Type.String(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  dead: Type.Integer(),
  skipped: Type.Integer(),
  throttled: Type.Integer(),
  latency: Type.Array(Type.Integer()),
  last_success_at: Type.Union([Type.Null(), Type.Number()]),
  last_failure_at: Type.Union([Type.Null(), Type.Number()]),
  last_error: Type.Union([Type.Null(), Type.String()]),
  consecutive_failures: Type.Integer(),
})
export type SubscriptionTraffic = Static<typeof SubscriptionTraffic>
const SUBSCRIPTION_TRAFFIC = row(SubscriptionTraffic)

/**
 * Each subscription's attempts since `sinceMs` with their latency buckets summed, and
 * its health; subscriptions without either are left out. `sinceMs` falls on a start of
 * the span read (spanFor(step)). Its cost follows the number of subscriptions and
 * spans, not of deliveries.
 */
export async function subscriptionTraffic(db: Queryable, o: { sinceMs: number; stepMs: number; ids?: readonly string[] }): Promise<readonly SubscriptionTraffic[]> {
  const since = sql.fragment`to_timestamp(${o.sinceMs / 1000})`
  const ids = o.ids
  const only = ids ? sql.fragment`AND subscription_id = ANY(${sql.array(ids, 'uuid')})` : sql.fragment``
  // Bucket by bucket with plain sums: one pass over the rows, no unnest per row.
  const latency = sql.join(
    Array.from({ length: LATENCY_BUCKETS }, (_, i) => sql.fragment`coalesce(sum(latency[${sql.literalValue(String(i + 1))}::int]), 0)::int`),
    sql.fragment`, `,
  )
  return db.any(sql.type(SUBSCRIPTION_TRAFFIC)`
    WITH t AS (
      SELECT subscription_id, sum(succeeded)::int AS succeeded, sum(failed)::int AS failed, sum(dead)::int AS dead, sum(skipped)::int AS skipped, sum(throttled)::int AS throttled,
        ARRAY[${latency}] AS latency
      FROM traffic_attempts WHERE span = ${spanFor(o.stepMs)} AND minute >= ${since} ${only} GROUP BY subscription_id
    ), h AS (
      SELECT * FROM subscription_health WHERE true ${only}
    )
    SELECT coalesce(t.subscription_id, h.subscription_id) AS subscription_id,
      coalesce(t.succeeded, 0) AS succeeded, coalesce(t.failed, 0) AS failed, coalesce(t.dead, 0) AS dead, coalesce(t.skipped, 0) AS skipped, coalesce(t.throttled, 0) AS throttled,
      coalesce(t.latency, '{}') AS latency,
      h.last_success_at, h.last_failure_at, h.last_error, coalesce(h.consecutive_failures, 0)::int AS consecutive_failures
    FROM t FULL JOIN h ON h.subscription_id = t.subscription_id`)
}

const Total = row(Type.Object({ n: Type.Integer() }))

/** Events received since `sinceMs` (whole minutes: the minute it falls in counts). */
export async function eventsSince(db: Queryable, sinceMs: number): Promise<number> {
  return db.oneFirst(sql.type(Total)`SELECT coalesce(sum(events), 0)::int AS n FROM traffic_events
    WHERE span = 1 AND minute >= to_timestamp(${Math.floor(sinceMs / 60_000) * 60})`)
}
