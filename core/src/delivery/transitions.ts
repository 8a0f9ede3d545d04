/**
 * The delivery state machine: every change of a delivery's status, its guard and its
 * SQL, in this one file. Nothing else writes deliveries.status (the worker's tasks, the
 * REST routes, the UI and the dead-letter plugin all call these functions, the last
 * three through delivery/service.ts). docs/architecture.md draws the diagram.
 *
 *   (fan-out, replay) ─create─► pending ─claim─► delivering ─record ok──────► succeeded
 *                     retrying ─claim─┘    │ │ │            ─record skip─────► skipped
 *          ▲     ▲                         │ │ └────────────record retry────► retrying (next_attempt_at)
 *          │     └──────────defer──────────┘ │            ─record exhausted► dead ─discard─► discarded
 *          │                                 └────────────record fail───────► dead (permanent)
 *          └─ retry now (pending, retrying, dead, skipped) · replay dead ─ dead
 *   pending, retrying, delivering ─(subscription disabled)─► paused ─(enabled)─► pending / retrying
 *   pending, retrying ─claim while its circuit is open─► held (next_attempt_at later) ─circuit closed─► due now
 *
 * Fencing: a claim increments claim_token and hands it to the claimer; defer and record
 * change a row only while it is still `delivering` with that token. A worker whose
 * claim was taken over (its lease ran out, or its liveness key lapsed) therefore
 * changes nothing; its write is reported back as stale and counted.
 */
import { sql, type FragmentSqlToken } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import type { Queryable } from '../db/pool.ts'
import type { EventRow } from '../store/events.ts'
import { idTimeSpan, newIdAtTimeOf, webhookIdFor } from '../store/ids.ts'
import { CLAIMABLE, FINISHED, lit, RETRYABLE_NOW, Status, statusIn, statusIs, type DeliveryStatus } from './status.ts'

const D_STATUS = sql.fragment`d.status`

/* ─── create ─────────────────────────────────────────────────────────────────────── */

const FannedOut = row(Type.Object({ id: Type.Union([Type.Null(), Type.String()]), event_id: Type.String() }))

/** One event's fan-out decided by its subscriptions' filters (worker/fanout.ts). */
export interface FilteredFanout {
  readonly eventId: string
  /** Subscriptions that get a delivery: those without a filter and those whose filter passed. */
  readonly deliver: readonly string[]
  /** Subscriptions whose filter rejected the event: recorded on it, no delivery. */
  readonly filtered: readonly string[]
}

export interface FanoutResult {
  /** Fan-out deliveries still pending, for the stream. */
  readonly deliveries: readonly { id: string; event_id: string }[]
  /** Events left pending because a subscription of their source has a filter: decide, then call createFilteredFanout. */
  readonly toFilter: readonly string[]
}

/**
 * Fan-out for a batch of events, in one statement: the events still pending are marked
 * done, one delivery is created per enabled subscription of each (idempotent: its id is
 * derived from event and subscription by relay_fanout_id, so a re-run conflicts on the
 * primary key and creates nothing twice), and the ids of every fan-out delivery still pending are
 * returned for the stream: the new ones, and any a crashed earlier run created but never
 * enqueued (the last branch reads the snapshot from before this statement, so it never
 * repeats a new one). Two workers fanning out one event: the second waits on the event
 * row, finds it done, and creates nothing.
 *
 * An event whose source has an enabled subscription with a filter is left pending (the
 * same UPDATE, so sources without filters pay one hashed lookup per event: 1.02x the
 * statement before filters, core/bench/fanout-statement.ts) and returned in `toFilter`: its bodies are read and the filters run in the worker, and
 * createFilteredFanout marks it done with its deliveries in one statement. A crash in
 * between leaves it pending, so the reconciler enqueues it again: nothing is lost.
 */
/**
 * Inserts fan-out deliveries from `pairs` (rows of id = relay_fanout_id(event,
 * subscription), event_id, subscription_id); a pair created before conflicts and is skipped.
 */
const insertFanout = (pairs: FragmentSqlToken) => sql.fragment`
  INSERT INTO deliveries (id, event_id, subscription_id, origin, webhook_id)
  SELECT p.id, p.event_id, p.subscription_id, 'fanout', 'msg_' || replace(p.id::text, '-', '')
  FROM (${pairs}) p
  ON CONFLICT (id) DO NOTHING
  RETURNING id, event_id`

/**
 * The fan-out deliveries of these events still pending, as the statement's snapshot saw
 * them (so never the ones it creates). Deliveries carry their event's time in their id:
 * the span keeps the scan in the events' partitions.
 */
const pendingFanoutOf = (eventIds: readonly string[]) => {
  const span = idTimeSpan(eventIds)
  return sql.fragment`SELECT d.id, d.event_id FROM deliveries d
    WHERE d.id BETWEEN ${span.lo}::uuid AND ${span.hi}::uuid
      AND d.event_id = ANY(${sql.array(eventIds, 'uuid')}) AND d.origin = 'fanout' AND ${statusIs(D_STATUS, Status.pending)}`
}

export async function createFanout(db: Queryable, eventIds: readonly string[]): Promise<FanoutResult> {
  if (eventIds.length === 0) return { deliveries: [], toFilter: [] }
  const ids = sql.array(eventIds, 'uuid')
  const rows = await db.any(sql.prepared('relay_fanout', FannedOut)`
    WITH filtered_sources AS (
      SELECT DISTINCT source_id FROM subscriptions WHERE enabled AND filter IS NOT NULL
    ), marked AS (
      -- One pass over the events: done, or left pending (rewritten as it was) when a
      -- filter of its source has to decide first.
      UPDATE events e SET fanout_status = CASE WHEN e.source_id IN (SELECT source_id FROM filtered_sources) THEN 'pending' ELSE 'done' END
      WHERE e.id = ANY(${ids}) AND e.fanout_status = 'pending'
      RETURNING e.id, e.source_id, e.fanout_status = 'pending' AS to_filter
    ), done AS (
      SELECT id, source_id FROM marked WHERE NOT to_filter
    ), created AS (${insertFanout(sql.fragment`
        SELECT relay_fanout_id(done.id, s.id) AS id, done.id AS event_id, s.id AS subscription_id
        FROM done JOIN subscriptions s ON s.source_id = done.source_id AND s.enabled`)}
    )
    SELECT id, event_id FROM created
    UNION ALL ${pendingFanoutOf(eventIds)}
    UNION ALL
    SELECT NULL, m.id FROM marked m WHERE m.to_filter`)
  const deliveries: { id: string; event_id: string }[] = []
  const toFilter: string[] = []
  for (const r of rows) {
    if (r.id === null) toFilter.push(r.event_id)
    else deliveries.push({ id: r.id, event_id: r.event_id })
  }
  return { deliveries, toFilter }
}

/**
 * The second half of a filtered fan-out, in one statement: each event still pending is
 * marked done with the subscriptions its filters rejected, and gets one delivery per
 * subscription in `deliver` (idempotent as in createFanout). Returns the fan-out
 * deliveries of these events still pending.
 */
export async function createFilteredFanout(db: Queryable, decided: readonly FilteredFanout[]): Promise<readonly { id: string; event_id: string }[]> {
  if (decided.length === 0) return []
  const eventIds = decided.map((d) => d.eventId)
  const ids = sql.array(eventIds, 'uuid')
  const json = sql.jsonb(decided.map((d) => ({ event_id: d.eventId, deliver: d.deliver, filtered: d.filtered })) as never)
  const rows = await db.any(sql.type(FannedOut)`
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(${json}) AS x(event_id uuid, deliver uuid[], filtered uuid[])
    ), done AS (
      UPDATE events e SET fanout_status = 'done', filtered_subscriptions = CASE WHEN cardinality(x.filtered) > 0 THEN x.filtered END
      FROM x WHERE e.id = x.event_id AND e.id = ANY(${ids}) AND e.fanout_status = 'pending'
      RETURNING e.id
    ), created AS (${insertFanout(sql.fragment`
        SELECT relay_fanout_id(x.event_id, s.id) AS id, x.event_id, s.id AS subscription_id
        FROM x JOIN done ON done.id = x.event_id
          JOIN subscriptions s ON s.id = ANY(x.deliver) AND s.enabled`)}
    )
    SELECT id, event_id FROM created
    UNION ALL ${pendingFanoutOf(eventIds)}`)
  return rows.map((r) => ({ id: r.id!, event_id: r.event_id }))
}

/** Why a delivery exists beyond fan-out: a person replayed an event, or sent a test event. */
export type ReplayOrigin = 'replay' | 'test'

/**
 * A deliberate extra delivery of an event to a subscription (replay, or a test event);
 * its own webhook id, and its event's time in its id, so it is stored in the event's
 * partition.
 */
export async function createReplay(db: Queryable, eventId: string, subscriptionId: string, origin: ReplayOrigin = 'replay'): Promise<string> {
  const id = newIdAtTimeOf(eventId)
  await db.query(sql.unsafe`INSERT INTO deliveries (id, event_id, subscription_id, origin, webhook_id, status)
    VALUES (${id}, ${eventId}, ${subscriptionId}, ${origin}, ${webhookIdFor(id)}, ${lit(Status.pending)})`)
  return id
}

/* ─── claim and defer (the worker) ───────────────────────────────────────────────── */

/**
 * How far a claim of an open circuit's delivery moves it on. Closing the circuit brings
 * held work back at once (releaseHeld); this only bounds how long a delivery waits if
 * that never happens, and how often a long-open circuit's backlog is looked at.
 */
export const CIRCUIT_HOLD_MS = 60 * 60_000

export const Claim = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  subscription_id: Type.String(),
  webhook_id: Type.String(),
  /** Attempts counted against the retry budget, this one included. */
  attempt_count: Type.Integer(),
  /** The number this attempt is recorded under (never reused, survives replays). */
  attempt_seq: Type.Integer(),
  /** The fencing token: defer and record must present it. */
  claim_token: Type.Integer(),
  /** The subscription's plugin-call timeout (its config's timeoutMs, capped). */
  timeout_ms: Type.Integer(),
})
export type Claim = Static<typeof Claim>

/**
 * A claim with the event it delivers (null when the event is gone), read in the claim's
 * own statement, and the rate-limit slot it was handed back to wait for (null: none).
 */
export type ClaimWithEvent = Claim & { readonly event: EventRow | null; readonly slotAt: number | null }

const EventColumns = {
  ev_id: Type.Union([Type.Null(), Type.String()]),
  ev_source_id: Type.Union([Type.Null(), Type.String()]),
  ev_source_slug: Type.Union([Type.Null(), Type.String()]),
  ev_received_at: Type.Union([Type.Null(), Type.Number()]),
  ev_content_type: Type.Union([Type.Null(), Type.String()]),
  ev_headers: Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())]),
  ev_body: Type.Unsafe<Buffer | null>({}),
  ev_idempotency_key: Type.Union([Type.Null(), Type.String()]),
  ev_fanout_status: Type.Union([Type.Null(), Type.String()]),
  ev_traceparent: Type.Union([Type.Null(), Type.String()]),
}

const ClaimAnswerRow = Type.Object({
    kind: Type.Union([Type.Literal('claimed'), Type.Literal('paused'), Type.Literal('not_due')]),
    ...Claim.properties,
    event_id: Type.Union([Type.Null(), Type.String()]),
    subscription_id: Type.Union([Type.Null(), Type.String()]),
    webhook_id: Type.Union([Type.Null(), Type.String()]),
    attempt_count: Type.Union([Type.Null(), Type.Integer()]),
    attempt_seq: Type.Union([Type.Null(), Type.Integer()]),
    claim_token: Type.Union([Type.Null(), Type.Integer()]),
    timeout_ms: Type.Union([Type.Null(), Type.Integer()]),
    due: Type.Union([Type.Null(), Type.Number()]),
    slot: Type.Union([Type.Null(), Type.Number()]),
    ...EventColumns,
  })
const ClaimAnswer = row(ClaimAnswerRow)
type ClaimAnswer = Static<typeof ClaimAnswerRow>

function eventOf(r: ClaimAnswer): EventRow | null {
  if (r.ev_id === null) return null
  return {
    id: r.ev_id,
    source_id: r.ev_source_id!,
    source_slug: r.ev_source_slug!,
    received_at: r.ev_received_at!,
    content_type: r.ev_content_type,
    headers: r.ev_headers ?? {},
    body: r.ev_body!,
    idempotency_key: r.ev_idempotency_key,
    fanout_status: r.ev_fanout_status!,
    traceparent: r.ev_traceparent,
    // Fan-out's record; a claim never needs it.
    filtered_subscriptions: null,
  }
}

export interface ClaimOptions {
  /** This worker's name (its stream consumer); kept on the row as claimed_by. */
  readonly worker: string
  /** Workers known dead (liveness lapsed): their claims are taken over before their lease ends. */
  readonly takeOverFrom?: readonly string[]
  /** Plugin-call timeout when the subscription's config names none, and its cap. */
  readonly defaultTimeoutMs: number
  readonly maxTimeoutMs: number
  /** Added to the lease beyond the attempt's own bound (loading, transform, recording). */
  readonly leaseMarginMs: number
}

export interface ClaimResult {
  readonly claimed: readonly ClaimWithEvent[]
  /** Not due yet (a duplicate stream entry): back to the retry set at their time. */
  readonly notDue: readonly { id: string; atMs: number }[]
  /** Their subscription is disabled: paused instead of sent. */
  readonly paused: readonly string[]
}

/**
 * Claims deliveries for one attempt each: pending or retrying ones that are due, and
 * delivering ones whose lease ran out or whose worker is known dead. Anything else (a
 * duplicate entry of finished work, or work a live worker holds) claims nothing. A
 * delivery of a disabled subscription is paused, not claimed. A delivery of a
 * subscription whose circuit is open (circuits row; worker/circuit-task.ts) is held: its
 * next attempt moved CIRCUIT_HOLD_MS on (the circuit's close brings it back sooner), no
 * attempt counted; only the circuit's probe is claimed.
 *
 * The lease is twice the subscription's timeout plus a margin: a claimed delivery may
 * wait up to one timeout for a slot in the fairness gate, then run for one. Each claim
 * comes with its event, read in the same statement (one round trip fewer per batch),
 * and with the rate-limit slot it was deferred to (throttled_until, cleared by the claim).
 */
const NO_EVENT = sql.fragment`NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`

export async function claim(db: Queryable, ids: readonly string[], o: ClaimOptions): Promise<ClaimResult> {
  if (ids.length === 0) return { claimed: [], notDue: [], paused: [] }
  const rows = await db.any(sql.prepared('relay_claim', ClaimAnswer)`
    WITH c AS (
      SELECT d.id, s.enabled, d.next_attempt_at, d.throttled_until,
        (${statusIn(D_STATUS, CLAIMABLE)} AND d.next_attempt_at > now()) AS early,
        (${statusIn(D_STATUS, CLAIMABLE)} AND ci.subscription_id IS NOT NULL AND d.id IS DISTINCT FROM ci.probe_delivery_id) AS held,
        LEAST(COALESCE(CASE WHEN jsonb_typeof(s.config -> 'timeoutMs') = 'number' THEN (s.config ->> 'timeoutMs')::numeric END,
          ${o.defaultTimeoutMs}), ${o.maxTimeoutMs})::int AS timeout_ms
      FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id LEFT JOIN circuits ci ON ci.subscription_id = d.subscription_id
      WHERE d.id = ANY(${sql.array(ids, 'uuid')})
        AND (${statusIn(D_STATUS, CLAIMABLE)} OR (${statusIs(D_STATUS, Status.delivering)}
          AND (d.lease_until < now() OR d.claimed_by = ANY(${sql.array(o.takeOverFrom ?? [], 'text')}))))
      ORDER BY d.id
      FOR UPDATE OF d
    ), paused AS (
      UPDATE deliveries d SET status = ${lit(Status.paused)}, lease_until = NULL, claimed_by = NULL, updated_at = now()
      FROM c WHERE d.id = c.id AND NOT c.enabled
      RETURNING d.id
    ), held AS (
      UPDATE deliveries d SET next_attempt_at = now() + make_interval(secs => ${CIRCUIT_HOLD_MS / 1000}), updated_at = now()
      FROM c WHERE d.id = c.id AND c.enabled AND NOT c.early AND c.held
      RETURNING d.id, d.next_attempt_at
    ), claimed AS (
      UPDATE deliveries d SET status = ${lit(Status.delivering)}, attempt_count = d.attempt_count + 1, attempt_seq = d.attempt_seq + 1,
        claim_token = d.claim_token + 1, claimed_by = ${o.worker}, throttled_until = NULL,
        lease_until = now() + make_interval(secs => (2 * c.timeout_ms + ${o.leaseMarginMs}) / 1000.0), updated_at = now()
      FROM c WHERE d.id = c.id AND c.enabled AND NOT c.early AND NOT c.held
      RETURNING d.id, d.event_id, d.subscription_id, d.webhook_id, d.attempt_count, d.attempt_seq, d.claim_token, c.timeout_ms, c.throttled_until
    )
    SELECT 'claimed' AS kind, cl.id, cl.event_id, cl.subscription_id, cl.webhook_id, cl.attempt_count, cl.attempt_seq, cl.claim_token, cl.timeout_ms,
      NULL::timestamptz AS due, cl.throttled_until AS slot, e.id AS ev_id, e.source_id AS ev_source_id, src.slug AS ev_source_slug, e.received_at AS ev_received_at,
      e.content_type AS ev_content_type, e.headers AS ev_headers, e.body AS ev_body, e.idempotency_key AS ev_idempotency_key,
      e.fanout_status AS ev_fanout_status, e.traceparent AS ev_traceparent
    FROM claimed cl LEFT JOIN events e ON e.id = cl.event_id LEFT JOIN sources src ON src.id = e.source_id
    UNION ALL SELECT 'paused', id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ${NO_EVENT} FROM paused
    UNION ALL SELECT 'not_due', id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, next_attempt_at, NULL, ${NO_EVENT} FROM c WHERE c.enabled AND c.early
    UNION ALL SELECT 'not_due', id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, next_attempt_at, NULL, ${NO_EVENT} FROM held`)
  const claimed: ClaimWithEvent[] = []
  const notDue: { id: string; atMs: number }[] = []
  const paused: string[] = []
  for (const r of rows) {
    if (r.kind === 'claimed') {
      const { id, event_id, subscription_id, webhook_id, attempt_count, attempt_seq, claim_token, timeout_ms } = r as unknown as Claim
      claimed.push({ id, event_id, subscription_id, webhook_id, attempt_count, attempt_seq, claim_token, timeout_ms, event: eventOf(r), slotAt: r.slot })
    }
    else if (r.kind === 'paused') paused.push(r.id)
    else notDue.push({ id: r.id, atMs: r.due! })
  }
  return { claimed, notDue, paused }
}

/** A claim as its holder presents it: the row and the fencing token. */
export interface Fence {
  readonly id: string
  readonly claim_token: number
}

/**
 * Hands claimed deliveries back without an attempt (the fairness gate has no slot, or
 * the rate limit gave a later one): the claim's counters are undone and each is due
 * again at its time. `slotAtMs`: the rate-limit slot it holds, kept for the next claim.
 * Returns the ids the claim still held (the caller puts those in the retry set); the
 * rest are stale.
 */
export async function defer(db: Queryable, due: readonly { claim: Fence; atMs: number; slotAtMs?: number | null }[]): Promise<ReadonlySet<string>> {
  if (due.length === 0) return new Set()
  due = byId(due, (x) => x.claim.id)
  const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString())
  const ids = await db.anyFirst(sql.type(IdRow)`
    UPDATE deliveries d SET attempt_count = d.attempt_count - 1, attempt_seq = d.attempt_seq - 1,
      status = CASE WHEN d.attempt_seq - 1 = 0 THEN ${lit(Status.pending)} ELSE ${lit(Status.retrying)} END,
      next_attempt_at = u.at, throttled_until = u.slot, lease_until = NULL, claimed_by = NULL, updated_at = now()
    FROM ${sql.unnest(due.map((x) => [x.claim.id, x.claim.claim_token, iso(x.atMs), iso(x.slotAtMs)]), ['uuid', 'int4', 'timestamptz', 'timestamptz'])} AS u(id, token, at, slot)
    WHERE d.id = u.id AND ${statusIs(D_STATUS, Status.delivering)} AND d.claim_token = u.token
    RETURNING d.id`)
  return new Set(ids)
}

/**
 * Extends a claim's lease (a delivery that waited long for a slot in the fairness gate):
 * false when the claim was taken over meanwhile, and the attempt must not be made.
 */
export async function renewLease(db: Queryable, claim: Fence, leaseMs: number): Promise<boolean> {
  const ids = await db.anyFirst(sql.type(IdRow)`
    UPDATE deliveries d SET lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    WHERE d.id = ${claim.id} AND ${statusIs(D_STATUS, Status.delivering)} AND d.claim_token = ${claim.claim_token}
    RETURNING d.id`)
  return ids.length === 1
}

/* ─── record (the outcome of an attempt) ─────────────────────────────────────────── */

/** What one attempt produced, ready to store (bodies already truncated, headers masked). */
export interface AttemptRecord {
  deliveryId: string
  number: number
  startedAt: number
  durationMs: number
  outcome: 'ok' | 'retry' | 'fail' | 'skip'
  requestUrl: string | null
  requestMethod: string | null
  requestHeaders: Record<string, string> | null
  requestBody: Buffer | null
  /** The request body was the event's body byte for byte: not stored again (read from the event). */
  requestBodyIsEvent: boolean
  responseStatus: number | null
  responseHeaders: Record<string, string> | null
  responseBody: Buffer | null
  error: string | null
}

/** Where an attempt leaves its delivery (decided by delivery/decide.ts). */
export interface Decision {
  status: typeof Status.succeeded | typeof Status.skipped | typeof Status.retrying | typeof Status.dead
  nextAttemptAt: number | null
  lastError: string | null
  deadReason: 'exhausted' | 'permanent' | null
  /** The receiver said it is gone (HTTP 410): disable the subscription, pause its other work. */
  disableSubscription: string | null
}

export interface Outcome {
  readonly claim: Fence & { readonly subscription_id: string }
  readonly attempt: AttemptRecord
  readonly decision: Decision
}

export interface RecordResult {
  /** The status each fenced-in delivery now has (retrying may have become paused). */
  readonly applied: ReadonlyMap<string, DeliveryStatus>
  /** Outcomes whose claim had been taken over: nothing was written for them. */
  readonly stale: readonly string[]
}

const Applied = row(Type.Object({ id: Type.String(), status: Type.String() }))
const IdRow = row(Type.Object({ id: Type.String() }))

/**
 * Writes a batch of outcomes in one statement: the delivery rows (fenced by claim
 * token), their attempts and their dead letters, each only for the rows the fence let
 * through. Dead letters are written with the status, so none can be lost between them.
 * A retry of a subscription disabled meanwhile is paused instead. A 410 disables its
 * subscription and pauses the subscription's other work in the same transaction.
 */
export async function record(db: Queryable, outcomes: readonly Outcome[]): Promise<RecordResult> {
  if (outcomes.length === 0) return { applied: new Map(), stale: [] }
  outcomes = byId(outcomes, (o) => o.claim.id)
  const run = async (q: Queryable) => {
    const rows = await q.any(sql.prepared('relay_record', Applied)`
      WITH applied AS (
        UPDATE deliveries d SET
          status = CASE WHEN u.status = ${lit(Status.retrying)} AND NOT s.enabled THEN ${lit(Status.paused)} ELSE u.status END,
          last_error = u.last_error, dead_reason = u.dead_reason,
          next_attempt_at = COALESCE(u.next_attempt_at, d.next_attempt_at), lease_until = NULL, claimed_by = NULL, updated_at = now(),
          completed_at = CASE WHEN ${statusIn(sql.fragment`u.status`, FINISHED)} THEN now() ELSE NULL END
        FROM ${sql.unnest(
          outcomes.map((o) => [
            o.claim.id, o.claim.claim_token, o.decision.status, o.decision.lastError, o.decision.deadReason,
            o.decision.nextAttemptAt === null ? null : new Date(o.decision.nextAttemptAt).toISOString(),
          ]),
          ['uuid', 'int4', 'text', 'text', 'text', 'timestamptz'],
        )} AS u(id, token, status, last_error, dead_reason, next_attempt_at), subscriptions s
        WHERE d.id = u.id AND ${statusIs(D_STATUS, Status.delivering)} AND d.claim_token = u.token AND s.id = d.subscription_id
        RETURNING d.id, d.status, d.dead_reason, d.last_error
      ), letters AS (
        INSERT INTO dead_letters (delivery_id, reason, last_error)
        SELECT id, COALESCE(dead_reason, 'permanent'), last_error FROM applied WHERE ${statusIs(sql.fragment`status`, Status.dead)}
        ON CONFLICT (delivery_id) DO UPDATE SET reason = EXCLUDED.reason, last_error = EXCLUDED.last_error, created_at = now()
      ), attempts AS (
        INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, outcome, request_url, request_method,
          request_headers, request_body, request_body_is_event, response_status, response_headers, response_body, error)
        SELECT a.* FROM ${sql.unnest(
          outcomes.map(({ attempt: a }) => [
            a.deliveryId, a.number, new Date(a.startedAt).toISOString(), a.durationMs, a.outcome, a.requestUrl, a.requestMethod,
            a.requestHeaders ? JSON.stringify(a.requestHeaders) : null, a.requestBody, a.requestBodyIsEvent, a.responseStatus,
            a.responseHeaders ? JSON.stringify(a.responseHeaders) : null, a.responseBody, a.error,
          ]),
          ['uuid', 'int4', 'timestamptz', 'int4', 'text', 'text', 'text', 'jsonb', 'bytea', 'bool', 'int4', 'jsonb', 'bytea', 'text'],
        )} AS a(delivery_id, number, started_at, duration_ms, outcome, request_url, request_method, request_headers, request_body,
          request_body_is_event, response_status, response_headers, response_body, error)
        WHERE a.delivery_id IN (SELECT id FROM applied)
        ON CONFLICT (delivery_id, number) DO NOTHING
      )
      SELECT id, status FROM applied`)
    const applied = new Map(rows.map((r) => [r.id, r.status as DeliveryStatus]))
    const gone = [...new Set(outcomes.filter((o) => o.decision.disableSubscription !== null && applied.has(o.claim.id)).map((o) => o.claim.subscription_id))]
    for (const subscriptionId of gone) {
      const reason = outcomes.find((o) => o.claim.subscription_id === subscriptionId && o.decision.disableSubscription)!.decision.disableSubscription!
      await q.query(sql.unsafe`UPDATE subscriptions SET enabled = false, disabled_reason = ${reason}, updated_at = now() WHERE id = ${subscriptionId}`)
      await pauseSubscription(q, subscriptionId)
    }
    return { applied, stale: outcomes.filter((o) => !applied.has(o.claim.id)).map((o) => o.claim.id) }
  }
  // One statement is its own transaction; a disable adds statements that must commit with it.
  return outcomes.some((o) => o.decision.disableSubscription !== null) ? db.transaction(run) : run(db)
}

/* ─── a person's actions ─────────────────────────────────────────────────────────── */

/**
 * Retry now: a pending, retrying, dead or skipped delivery of an enabled subscription
 * becomes due now. A dead one starts a fresh attempt count (same webhook id) and leaves
 * the dead-letter queue. False when the guard refused (in flight, finished for good,
 * paused, or gone).
 */
export async function retryNow(db: Queryable, id: string): Promise<boolean> {
  const ids = await db.anyFirst(sql.type(IdRow)`
    WITH picked AS (
      SELECT d.id, d.status FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
      WHERE d.id = ${id} AND ${statusIn(D_STATUS, RETRYABLE_NOW)} AND s.enabled
      FOR UPDATE OF d
    ), letter AS (
      DELETE FROM dead_letters WHERE delivery_id IN (SELECT id FROM picked)
    )
    UPDATE deliveries d SET status = ${lit(Status.retrying)}, next_attempt_at = now(), completed_at = NULL, dead_reason = NULL,
      updated_at = now(), attempt_count = CASE WHEN ${statusIs(sql.fragment`p.status`, Status.dead)} THEN 0 ELSE d.attempt_count END
    FROM picked p WHERE d.id = p.id
    RETURNING d.id`)
  return ids.length === 1
}

/**
 * Replays dead deliveries (the dead-letter queue): due now, fresh attempt count, same
 * webhook id, dead letter removed. Only rows still dead move, so two people replaying
 * overlapping selections replay each delivery once. Returns the ids replayed.
 */
export async function replayDead(db: Queryable, ids: readonly string[]): Promise<readonly string[]> {
  if (ids.length === 0) return []
  return db.anyFirst(sql.type(IdRow)`
    WITH ${lockedDead(ids)}, gone AS (DELETE FROM dead_letters WHERE delivery_id IN (SELECT id FROM picked))
    UPDATE deliveries SET status = ${lit(Status.retrying)}, attempt_count = 0, next_attempt_at = now(), dead_reason = NULL,
      completed_at = NULL, lease_until = NULL, updated_at = now()
    WHERE id IN (SELECT id FROM picked)
    RETURNING id`)
}

/** Gives up on dead deliveries for good: discarded, dead letter removed, history kept. Returns the ids discarded. */
export async function discardDead(db: Queryable, ids: readonly string[]): Promise<readonly string[]> {
  if (ids.length === 0) return []
  return db.anyFirst(sql.type(IdRow)`
    WITH ${lockedDead(ids)}, gone AS (DELETE FROM dead_letters WHERE delivery_id IN (SELECT id FROM picked))
    UPDATE deliveries SET status = ${lit(Status.discarded)}, updated_at = now()
    WHERE id IN (SELECT id FROM picked)
    RETURNING id`)
}

/* ─── the subscription's switch ──────────────────────────────────────────────────── */

/**
 * A subscription was disabled: its waiting work is paused (kept, visible, not sent).
 * A delivery in flight finishes its attempt; a retry it asks for is paused by record(),
 * and a claim of any delivery the switch missed pauses it too.
 */
export async function pauseSubscription(db: Queryable, subscriptionId: string): Promise<number> {
  // SKIP LOCKED: a row a claim or a record holds now is paused by that claim or record
  // (both read the subscription's switch), and never waiting here rules out a deadlock.
  const r = await db.query(sql.unsafe`
    WITH picked AS (
      SELECT d.id FROM deliveries d WHERE d.subscription_id = ${subscriptionId} AND ${statusIn(D_STATUS, CLAIMABLE)}
      ORDER BY d.id FOR UPDATE SKIP LOCKED
    )
    UPDATE deliveries d SET status = ${lit(Status.paused)}, updated_at = now() FROM picked WHERE d.id = picked.id`)
  return r.rowCount
}

/**
 * Paused deliveries whose subscription is enabled: a claim or record that read the switch
 * just before it was flipped back can pause a delivery after the resume ran. The
 * reconciler calls this, so such a delivery waits one reconciler period, not forever.
 */
export async function resumeStrayPaused(db: Queryable, limit: number): Promise<readonly string[]> {
  return db.anyFirst(sql.type(IdRow)`
    WITH picked AS (
      SELECT d.id FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
      WHERE ${statusIs(D_STATUS, Status.paused)} AND s.enabled
      ORDER BY d.id LIMIT ${limit} FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE deliveries d SET status = CASE WHEN d.attempt_seq = 0 THEN ${lit(Status.pending)} ELSE ${lit(Status.retrying)} END,
      next_attempt_at = now(), updated_at = now()
    FROM picked WHERE d.id = picked.id
    RETURNING d.id`)
}

/** A subscription was enabled: its paused work is due now, retry budget kept. Returns the ids to enqueue. */
export async function resumeSubscription(db: Queryable, subscriptionId: string): Promise<readonly string[]> {
  return db.anyFirst(sql.type(IdRow)`
    UPDATE deliveries d SET status = CASE WHEN d.attempt_seq = 0 THEN ${lit(Status.pending)} ELSE ${lit(Status.retrying)} END,
      next_attempt_at = now(), updated_at = now()
    WHERE d.subscription_id = ${subscriptionId} AND ${statusIs(D_STATUS, Status.paused)}
    RETURNING d.id`)
}

/* ─── the circuit breaker (worker/circuit-task.ts) ──────────────────────────────── */

/**
 * An open circuit's probe, in one statement: the waiting delivery of its subscription that
 * is due soonest is made due now, and the circuit marked probing with it (and its attempt
 * number, by which its outcome is known) until `leaseUntilMs`. Due soonest, not oldest: a
 * failed probe is held again at its next claim, so the probes go round the waiting work
 * instead of spending one delivery's attempts. Returns its id to enqueue, or null when
 * nothing waits or the circuit is no longer open.
 */
export async function pickProbe(db: Queryable, subscriptionId: string, leaseUntilMs: number): Promise<string | null> {
  return db.maybeOneFirst(sql.type(IdRow)`
    WITH picked AS (
      SELECT d.id, d.attempt_seq FROM deliveries d WHERE d.subscription_id = ${subscriptionId} AND ${statusIn(D_STATUS, CLAIMABLE)}
      ORDER BY d.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED
    ), marked AS (
      UPDATE circuits c SET state = 'probing', probe_delivery_id = picked.id, probe_attempt_seq = picked.attempt_seq,
        probe_started_at = now(), open_until = to_timestamp(${leaseUntilMs / 1000}), updated_at = now()
      FROM picked WHERE c.subscription_id = ${subscriptionId} AND c.state = 'open'
      RETURNING picked.id
    )
    UPDATE deliveries d SET next_attempt_at = now(), updated_at = now() FROM marked WHERE d.id = marked.id
    RETURNING d.id`)
}

/** A circuit closed: every delivery its subscription held or scheduled is due now. Returns the ids to enqueue. */
export async function releaseHeld(db: Queryable, subscriptionId: string): Promise<readonly string[]> {
  return db.anyFirst(sql.type(IdRow)`
    UPDATE deliveries d SET next_attempt_at = now(), updated_at = now()
    WHERE d.subscription_id = ${subscriptionId} AND ${statusIn(D_STATUS, CLAIMABLE)} AND d.next_attempt_at > now()
    RETURNING d.id`)
}

/* ─── helpers ────────────────────────────────────────────────────────────────────── */

/** `picked`: the given deliveries that are dead, locked in id order (the order every transition locks in). */
function lockedDead(ids: readonly string[]) {
  return sql.fragment`picked AS (
      SELECT d.id FROM deliveries d
      WHERE d.id = ANY(${sql.array(ids, 'uuid')}) AND ${statusIs(D_STATUS, Status.dead)}
      ORDER BY d.id FOR UPDATE
    )`
}

/** Rows sorted by delivery id, so concurrent batches lock in the same order. */
function byId<T>(rows: readonly T[], id: (r: T) => string): T[] {
  return [...rows].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0))
}
