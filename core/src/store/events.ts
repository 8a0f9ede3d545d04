/** Data access for events: the group-commit insert on the ingest path, and reads for the API. */
import { deleteDeliveriesWhere } from './delivery-rows.ts'
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import { pgErrorCode, type Queryable } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import type { EventView } from '../plugin/contract.ts'
import { jsonOfBody } from '@webhook-relay/plugin-sdk'

/** check_violation: raised for a row that fails its partition's bound. */
const PARTITION_CHECK_FAILED = '23514'

export interface NewEvent {
  id: string
  sourceId: string
  receivedAt: number
  contentType: string | null
  headers: Record<string, string>
  body: Buffer
  idempotencyKey: string | null
  /** Seconds the key deduplicates (a replay window); null or absent: while the event is kept. */
  idempotencyWindowSec?: number | null
  fanoutStatus: 'pending' | 'recorded'
  /** The ingest request's trace context, when tracing is on (retries link back to it). */
  traceparent?: string | null
}

const Inserted = row(Type.Object({ id: Type.String() }))
const Existing = row(Type.Object({ id: Type.String(), source_id: Type.String(), idempotency_key: Type.String() }))

const keyOf = (r: NewEvent) => `${r.sourceId}\u0000${r.idempotencyKey}`

/**
 * One statement for a whole batch. Idempotency keys are claimed in event_idempotency
 * (unique per source across every partition, sql/0015); a key past its expiry (a replay
 * window, sql/0016) is taken over. Only rows whose key was claimed, or that have none,
 * are inserted; for the others (a key already held, or repeated within the batch) the
 * original id is returned with duplicate=true.
 */
export async function insertEvents(db: Queryable, rows: readonly NewEvent[]): Promise<{ id: string; duplicate: boolean }[]> {
  // A key repeated within the batch goes to the statement once (ON CONFLICT DO UPDATE
  // may not meet a row the same statement inserted); the repeats follow the first.
  const firstWithKey = new Map<string, NewEvent>()
  const sent = rows.filter((r) => {
    if (r.idempotencyKey === null) return true
    if (firstWithKey.has(keyOf(r))) return false
    firstWithKey.set(keyOf(r), r)
    return true
  })
  // One array parameter per column (unnest) instead of one parameter per value: the
  // statement text is the same for every batch size and Postgres parses 10 parameters,
  // not 10 per row. traceparent is null unless tracing is on.
  const keyed = firstWithKey.size > 0
  const input = sql.fragment`SELECT * FROM ${sql.unnest(
    sent.map((r) => [r.id, r.sourceId, new Date(r.receivedAt).toISOString(), r.contentType, JSON.stringify(r.headers), r.body, r.idempotencyKey, r.fanoutStatus, r.traceparent ?? null, r.idempotencyWindowSec ?? null]),
    ['uuid', 'uuid', 'timestamptz', 'text', 'jsonb', 'bytea', 'text', 'text', 'text', 'int4'],
  )} AS t(id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status, traceparent, window_s)`
  const insert = () => db.anyFirst(
    keyed
      ? sql.prepared('relay_insert_events_keyed', Inserted)`
        WITH input AS (${input}), claimed AS (
          INSERT INTO event_idempotency AS k (source_id, idempotency_key, event_id, expires_at)
          SELECT source_id, idempotency_key, id, received_at + make_interval(secs => window_s) FROM input WHERE idempotency_key IS NOT NULL
          -- One order for every batch: two batches meeting the same keys lock them alike.
          ORDER BY source_id, idempotency_key
          ON CONFLICT (source_id, idempotency_key) DO UPDATE SET event_id = EXCLUDED.event_id, expires_at = EXCLUDED.expires_at
            WHERE k.expires_at < now()
          RETURNING event_id
        )
        INSERT INTO events (id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status, traceparent)
        SELECT id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status, traceparent
        FROM input WHERE idempotency_key IS NULL OR id IN (SELECT event_id FROM claimed)
        RETURNING id`
      : sql.prepared('relay_insert_events', Inserted)`
        INSERT INTO events (id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status, traceparent)
        SELECT id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status, traceparent FROM (${input}) i
        RETURNING id`,
  )
  // A partition attached while this statement was routing rows (sql/0015: only ranges
  // ahead of the clock are attached, so only clock skew between hosts can cause it) makes
  // the row fail the DEFAULT partition's new bound; the second try routes it anew. The
  // statement is atomic, so the first try left nothing behind.
  const inserted = new Set(await insert().catch((err: unknown) => {
    if (pgErrorCode(err) === PARTITION_CHECK_FAILED) return insert()
    throw err
  }))
  if (inserted.size === rows.length) return rows.map((r) => ({ id: r.id, duplicate: false }))

  const held = sent.filter((r) => !inserted.has(r.id))
  const existing = held.length === 0 ? [] : await db.any(sql.type(Existing)`
    SELECT event_id AS id, source_id, idempotency_key FROM event_idempotency
    WHERE (source_id, idempotency_key) IN (${sql.join(
      held.map((r) => sql.fragment`(${r.sourceId}::uuid, ${r.idempotencyKey})`),
      sql.fragment`, `,
    )})`)
  const byKey = new Map(existing.map((e) => [`${e.source_id}\u0000${e.idempotency_key}`, e.id]))
  for (const [k, first] of firstWithKey) if (inserted.has(first.id)) byKey.set(k, first.id)
  return rows.map((r) => {
    if (inserted.has(r.id)) return { id: r.id, duplicate: false }
    const original = byKey.get(keyOf(r))
    if (!original) throw new Error(`event ${r.id} was neither inserted nor found as a duplicate`)
    return { id: original, duplicate: true }
  })
}

/** Compensation when the stream write failed after the commit: the sender will retry, so its keys go too. */
export async function deleteEvents(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  const list = sql.array(ids, 'uuid')
  await db.query(sql.unsafe`
    WITH keys AS (DELETE FROM event_idempotency WHERE event_id = ANY(${list})),
      -- A fan-out may have run on a stream entry that did get written (no foreign key
      -- from deliveries to events takes them along: sql/0015).
      ${deleteDeliveriesWhere(sql.fragment`event_id = ANY(${list})`)}
    DELETE FROM events WHERE id = ANY(${list})`)
}

export const EventRow = Type.Object({
  id: Type.String(),
  source_id: Type.String(),
  source_slug: Type.String(),
  received_at: Type.Number(),
  content_type: Type.Union([Type.Null(), Type.String()]),
  headers: Type.Record(Type.String(), Type.String()),
  body: Type.Unsafe<Buffer>({}),
  idempotency_key: Type.Union([Type.Null(), Type.String()]),
  fanout_status: Type.String(),
  traceparent: Type.Union([Type.Null(), Type.String()]),
  filtered_subscriptions: Type.Union([Type.Null(), Type.Array(Type.String())]),
})
export type EventRow = Static<typeof EventRow>
const EVENT = row(EventRow)
const EVENT_COLUMNS = sql.fragment`e.id, e.source_id, s.slug AS source_slug, e.received_at, e.content_type, e.headers, e.body, e.idempotency_key, e.fanout_status, e.traceparent, e.filtered_subscriptions`

export async function getEvent(db: Queryable, id: string): Promise<EventRow> {
  const r = await db.maybeOne(sql.type(EVENT)`SELECT ${EVENT_COLUMNS} FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id = ${id}`)
  if (!r) throw new Errors.EVENT_NOT_FOUND(id)
  return r
}

/** The events among `ids` whose fan-out is still pending (fan-out's filter stage reads them). */
export async function pendingEvents(db: Queryable, ids: readonly string[]): Promise<readonly EventRow[]> {
  return db.any(sql.type(EVENT)`SELECT ${EVENT_COLUMNS} FROM events e JOIN sources s ON s.id = e.source_id
    WHERE e.id = ANY(${sql.array(ids, 'uuid')}) AND e.fanout_status = 'pending'`)
}

/** Newest first; `before` is the id of the last event of the previous page (ids are time-ordered). */
export async function listEvents(db: Queryable, opts: { sourceId?: string; before?: string; limit: number }): Promise<readonly EventRow[]> {
  const conds = [
    opts.sourceId ? sql.fragment`e.source_id = ${opts.sourceId}` : null,
    opts.before ? sql.fragment`e.id < ${opts.before}` : null,
  ].filter((c) => c !== null)
  const where = conds.length ? sql.fragment`WHERE ${sql.join(conds, sql.fragment` AND `)}` : sql.fragment``
  return db.any(sql.type(EVENT)`SELECT ${EVENT_COLUMNS} FROM events e JOIN sources s ON s.id = e.source_id ${where} ORDER BY e.id DESC LIMIT ${opts.limit}`)
}

/**
 * A stored event as plugins and transforms see it: raw bytes, plus the parse when it is
 * JSON (util/json-depth.ts: too deep is text). The parse happens on first read of `json`
 * and is kept: an http-relay delivery without a transform never needs it.
 */
export function toEventView(e: EventRow): EventView {
  let json: unknown
  let parsed = false
  return {
    id: e.id,
    sourceId: e.source_id,
    sourceSlug: e.source_slug,
    receivedAt: new Date(e.received_at),
    contentType: e.content_type,
    headers: e.headers,
    body: e.body,
    get json() {
      if (!parsed) {
        json = jsonOfBody(e.content_type, e.body)
        parsed = true
      }
      return json
    },
  }
}
