/**
 * Data access for deliveries and their attempts. The state machine's transitions are
 * decided in core/src/delivery/transitions.ts; this file only reads and writes rows.
 */
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import type { Queryable } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import { newId, webhookIdFor } from './ids.ts'

export const DELIVERY_STATUSES = ['pending', 'delivering', 'succeeded', 'retrying', 'dead', 'skipped', 'discarded'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

const FannedOut = row(Type.Object({ id: Type.String(), event_id: Type.String() }))

/**
 * Fan-out for a batch of events, in one transaction: one delivery per enabled
 * subscription (idempotent: a re-run creates nothing twice), events marked done, and
 * the ids of every fan-out delivery still pending returned for the stream, including
 * ones a crashed earlier run created but never enqueued.
 */
export async function fanOut(db: Queryable, eventIds: readonly string[]): Promise<readonly { id: string; event_id: string }[]> {
  if (eventIds.length === 0) return []
  return db.transaction(async (tx) => {
    const ids = sql.array(eventIds, 'uuid')
    await tx.query(sql.unsafe`
      INSERT INTO deliveries (id, event_id, subscription_id, origin, webhook_id)
      SELECT x.id, x.event_id, x.subscription_id, 'fanout', 'msg_' || replace(x.id::text, '-', '')
      FROM (
        SELECT gen_random_uuid() AS id, e.id AS event_id, s.id AS subscription_id
        FROM events e JOIN subscriptions s ON s.source_id = e.source_id AND s.enabled
        WHERE e.id = ANY(${ids}) AND e.fanout_status = 'pending'
      ) x
      ON CONFLICT (event_id, subscription_id) WHERE origin = 'fanout' DO NOTHING`)
    await tx.query(sql.unsafe`UPDATE events SET fanout_status = 'done' WHERE id = ANY(${ids}) AND fanout_status = 'pending'`)
    return tx.any(sql.type(FannedOut)`
      SELECT id, event_id FROM deliveries WHERE event_id = ANY(${ids}) AND origin = 'fanout' AND status = 'pending'`)
  })
}

export const ClaimedRow = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  subscription_id: Type.String(),
  webhook_id: Type.String(),
  attempt_count: Type.Integer(),
  attempt_seq: Type.Integer(),
})
export type ClaimedRow = Static<typeof ClaimedRow>
const CLAIMED = row(ClaimedRow)

/**
 * Claims deliveries for this worker: only those not finished and not leased by a live
 * worker. A duplicate stream entry (reconciler, reclaim) finds nothing to claim, which
 * is what keeps at-least-once from becoming "twice at once".
 */
export async function claimDeliveries(db: Queryable, ids: readonly string[], leaseMs: number): Promise<readonly ClaimedRow[]> {
  if (ids.length === 0) return []
  return db.any(sql.type(CLAIMED)`
    UPDATE deliveries d SET status = 'delivering', attempt_count = d.attempt_count + 1, attempt_seq = d.attempt_seq + 1,
      lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    WHERE d.id = ANY(${sql.array(ids, 'uuid')})
      AND (d.status IN ('pending', 'retrying') OR (d.status = 'delivering' AND d.lease_until < now()))
    RETURNING d.id, d.event_id, d.subscription_id, d.webhook_id, d.attempt_count, d.attempt_seq`)
}

/**
 * Hands claimed deliveries back without an attempt (their subscription is at its
 * in-flight cap on this worker): the claim's counters are undone and each is due again
 * at its given time. The caller puts them in the retry set.
 */
export async function deferDeliveries(db: Queryable, due: readonly { id: string; atMs: number }[]): Promise<void> {
  if (due.length === 0) return
  await db.query(sql.unsafe`
    UPDATE deliveries d SET attempt_count = d.attempt_count - 1, attempt_seq = d.attempt_seq - 1,
      status = CASE WHEN d.attempt_seq - 1 = 0 THEN 'pending' ELSE 'retrying' END,
      next_attempt_at = u.at, lease_until = NULL, updated_at = now()
    FROM (VALUES ${sql.join(
      due.map((x) => sql.fragment`(${x.id}::uuid, to_timestamp(${x.atMs / 1000}))`),
      sql.fragment`, `,
    )}) AS u(id, at)
    WHERE d.id = u.id AND d.status = 'delivering'`)
}

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
  responseStatus: number | null
  responseHeaders: Record<string, string> | null
  responseBody: Buffer | null
  error: string | null
}

/** The row update a transition decided on. */
export interface DeliveryUpdate {
  deliveryId: string
  status: DeliveryStatus
  nextAttemptAt: number | null
  lastError: string | null
  deadReason: 'exhausted' | 'permanent' | null
  disableSubscription: { subscriptionId: string; reason: string } | null
}

/**
 * Writes a batch of finished attempts in one transaction: attempts, delivery rows,
 * dead letters, and subscriptions the receiver told us to stop sending to. Dead letters
 * are written in the same transaction as the status, so none can be lost between them.
 */
export async function recordAttempts(db: Queryable, attempts: readonly AttemptRecord[], updates: readonly DeliveryUpdate[]): Promise<void> {
  await db.transaction(async (tx) => {
    // unnest: one array parameter per column, however many attempts the batch holds.
    if (attempts.length) {
      await tx.query(sql.unsafe`
        INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, outcome, request_url, request_method,
          request_headers, request_body, response_status, response_headers, response_body, error)
        SELECT * FROM ${sql.unnest(
          attempts.map((a) => [
            a.deliveryId, a.number, new Date(a.startedAt).toISOString(), a.durationMs, a.outcome, a.requestUrl, a.requestMethod,
            a.requestHeaders ? JSON.stringify(a.requestHeaders) : null, a.requestBody, a.responseStatus,
            a.responseHeaders ? JSON.stringify(a.responseHeaders) : null, a.responseBody, a.error,
          ]),
          ['uuid', 'int4', 'timestamptz', 'int4', 'text', 'text', 'text', 'jsonb', 'bytea', 'int4', 'jsonb', 'bytea', 'text'],
        )}
        ON CONFLICT (delivery_id, number) DO NOTHING`)
    }
    if (updates.length) {
      await tx.query(sql.unsafe`
        UPDATE deliveries d SET status = u.status, last_error = u.last_error, dead_reason = u.dead_reason,
          next_attempt_at = COALESCE(u.next_attempt_at, d.next_attempt_at), lease_until = NULL, updated_at = now(),
          completed_at = CASE WHEN u.status IN ('succeeded', 'dead', 'skipped') THEN now() ELSE NULL END
        FROM ${sql.unnest(
          updates.map((u) => [u.deliveryId, u.status, u.lastError, u.deadReason, u.nextAttemptAt === null ? null : new Date(u.nextAttemptAt).toISOString()]),
          ['uuid', 'text', 'text', 'text', 'timestamptz'],
        )} AS u(id, status, last_error, dead_reason, next_attempt_at)
        WHERE d.id = u.id`)
      const dead = updates.filter((u) => u.status === 'dead')
      if (dead.length) {
        await tx.query(sql.unsafe`
          INSERT INTO dead_letters (delivery_id, reason, last_error)
          VALUES ${sql.join(dead.map((u) => sql.fragment`(${u.deliveryId}, ${u.deadReason ?? 'permanent'}, ${u.lastError})`), sql.fragment`, `)}
          ON CONFLICT (delivery_id) DO UPDATE SET reason = EXCLUDED.reason, last_error = EXCLUDED.last_error, created_at = now()`)
      }
      for (const u of updates) {
        if (u.disableSubscription) {
          await tx.query(sql.unsafe`UPDATE subscriptions SET enabled = false, disabled_reason = ${u.disableSubscription.reason}, updated_at = now()
            WHERE id = ${u.disableSubscription.subscriptionId}`)
        }
      }
    }
  })
}

export const DeliveryRow = Type.Object({
  id: Type.String(),
  event_id: Type.String(),
  subscription_id: Type.String(),
  source_id: Type.String(),
  origin: Type.String(),
  webhook_id: Type.String(),
  status: Type.String(),
  attempt_count: Type.Integer(),
  next_attempt_at: Type.Number(),
  last_error: Type.Union([Type.Null(), Type.String()]),
  dead_reason: Type.Union([Type.Null(), Type.String()]),
  created_at: Type.Number(),
  updated_at: Type.Number(),
  completed_at: Type.Union([Type.Null(), Type.Number()]),
})
export type DeliveryRow = Static<typeof DeliveryRow>
const DELIVERY = row(DeliveryRow)
const DELIVERY_COLUMNS = sql.fragment`d.id, d.event_id, d.subscription_id, s.source_id, d.origin, d.webhook_id, d.status, d.attempt_count,
  d.next_attempt_at, d.last_error, d.dead_reason, d.created_at, d.updated_at, d.completed_at`

export async function getDelivery(db: Queryable, id: string): Promise<DeliveryRow> {
  const r = await db.maybeOne(sql.type(DELIVERY)`SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id WHERE d.id = ${id}`)
  if (!r) throw new Errors.DELIVERY_NOT_FOUND(id)
  return r
}

export async function listDeliveries(
  db: Queryable,
  opts: { status?: string; sourceId?: string; subscriptionId?: string; eventId?: string; before?: string; limit: number },
): Promise<readonly DeliveryRow[]> {
  const conds = [
    opts.status ? sql.fragment`d.status = ${opts.status}` : null,
    opts.sourceId ? sql.fragment`s.source_id = ${opts.sourceId}` : null,
    opts.subscriptionId ? sql.fragment`d.subscription_id = ${opts.subscriptionId}` : null,
    opts.eventId ? sql.fragment`d.event_id = ${opts.eventId}` : null,
    opts.before ? sql.fragment`(d.created_at, d.id) < (SELECT created_at, id FROM deliveries WHERE id = ${opts.before})` : null,
  ].filter((c) => c !== null)
  const where = conds.length ? sql.fragment`WHERE ${sql.join(conds, sql.fragment` AND `)}` : sql.fragment``
  return db.any(sql.type(DELIVERY)`SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
    ${where} ORDER BY d.created_at DESC, d.id DESC LIMIT ${opts.limit}`)
}

export const AttemptRow = Type.Object({
  number: Type.Integer(),
  started_at: Type.Number(),
  duration_ms: Type.Integer(),
  outcome: Type.String(),
  request_url: Type.Union([Type.Null(), Type.String()]),
  request_method: Type.Union([Type.Null(), Type.String()]),
  request_headers: Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())]),
  request_body: Type.Union([Type.Null(), Type.Unsafe<Buffer>({})]),
  response_status: Type.Union([Type.Null(), Type.Integer()]),
  response_headers: Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())]),
  response_body: Type.Union([Type.Null(), Type.Unsafe<Buffer>({})]),
  error: Type.Union([Type.Null(), Type.String()]),
})
export type AttemptRow = Static<typeof AttemptRow>
const ATTEMPT = row(AttemptRow)

export async function listAttempts(db: Queryable, deliveryId: string): Promise<readonly AttemptRow[]> {
  return db.any(sql.type(ATTEMPT)`SELECT number, started_at, duration_ms, outcome, request_url, request_method, request_headers,
    request_body, response_status, response_headers, response_body, error FROM delivery_attempts WHERE delivery_id = ${deliveryId} ORDER BY number`)
}

/**
 * Makes a finished or waiting delivery due now (retry now, dead-letter replay). A dead
 * delivery starts a fresh attempt count and keeps its webhook id. Returns false when
 * the delivery is in flight or already succeeded.
 */
export async function makeDueNow(db: Queryable, id: string, opts: { resetAttempts: boolean }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const r = await tx.query(sql.unsafe`
      UPDATE deliveries SET status = 'retrying', next_attempt_at = now(), completed_at = NULL, dead_reason = NULL, updated_at = now(),
        attempt_count = CASE WHEN ${opts.resetAttempts} THEN 0 ELSE attempt_count END
      WHERE id = ${id} AND status IN ('retrying', 'dead', 'pending', 'skipped')`)
    if (r.rowCount === 0) return false
    await tx.query(sql.unsafe`DELETE FROM dead_letters WHERE delivery_id = ${id}`)
    return true
  })
}

/** A deliberate extra delivery of an event to a subscription (replay); its own webhook id. */
export async function createReplayDelivery(db: Queryable, eventId: string, subscriptionId: string): Promise<string> {
  const id = newId()
  await db.query(sql.unsafe`INSERT INTO deliveries (id, event_id, subscription_id, origin, webhook_id)
    VALUES (${id}, ${eventId}, ${subscriptionId}, 'replay', ${webhookIdFor(id)})`)
  return id
}

export const DeliverySummary = Type.Object({ id: Type.String(), subscription_id: Type.String(), status: Type.String(), attempt_count: Type.Integer() })
const SUMMARY = row(DeliverySummary)
export async function deliveriesOfEvent(db: Queryable, eventId: string) {
  return db.any(sql.type(SUMMARY)`SELECT id, subscription_id, status, attempt_count FROM deliveries WHERE event_id = ${eventId} ORDER BY created_at`)
}
