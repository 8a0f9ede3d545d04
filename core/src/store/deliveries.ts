/**
 * Reads of deliveries and their attempts, for the REST API and the UI. Every write of a
 * delivery is a transition in core/src/delivery/transitions.ts.
 */
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import type { Queryable } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import { statusIs, type DeliveryStatus } from '../delivery/status.ts'

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
  opts: { status?: DeliveryStatus; sourceId?: string; subscriptionId?: string; eventId?: string; before?: string; limit: number },
): Promise<readonly DeliveryRow[]> {
  const conds = [
    opts.status ? statusIs(sql.fragment`d.status`, opts.status) : null,
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
  // An attempt that sent the event's body unchanged stores a reference to it (sql/0014).
  return db.any(sql.type(ATTEMPT)`SELECT a.number, a.started_at, a.duration_ms, a.outcome, a.request_url, a.request_method, a.request_headers,
    CASE WHEN a.request_body_is_event THEN e.body ELSE a.request_body END AS request_body,
    a.response_status, a.response_headers, a.response_body, a.error
    FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id
    WHERE a.delivery_id = ${deliveryId} ORDER BY a.number`)
}

export const DeliverySummary = Type.Object({ id: Type.String(), subscription_id: Type.String(), status: Type.String(), attempt_count: Type.Integer() })
const SUMMARY = row(DeliverySummary)
export async function deliveriesOfEvent(db: Queryable, eventId: string) {
  return db.any(sql.type(SUMMARY)`SELECT id, subscription_id, status, attempt_count FROM deliveries WHERE event_id = ${eventId} ORDER BY created_at`)
}
