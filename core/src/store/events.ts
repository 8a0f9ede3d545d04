/** Data access for events: the group-commit insert on the ingest path, and reads for the API. */
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import type { Queryable } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import type { EventView } from '../plugin/contract.ts'

export interface NewEvent {
  id: string
  sourceId: string
  receivedAt: number
  contentType: string | null
  headers: Record<string, string>
  body: Buffer
  idempotencyKey: string | null
  fanoutStatus: 'pending' | 'recorded'
  /** The ingest request's trace context, when tracing is on (retries link back to it). */
  traceparent?: string | null
}

const Inserted = row(Type.Object({ id: Type.String() }))
const Existing = row(Type.Object({ id: Type.String(), source_id: Type.String(), idempotency_key: Type.String() }))

/**
 * One multi-row INSERT for a whole batch. Rows whose idempotency key already exists
 * (or repeats within the batch) are not inserted; for those the original id is
 * returned with duplicate=true.
 */
export async function insertEvents(db: Queryable, rows: readonly NewEvent[]): Promise<{ id: string; duplicate: boolean }[]> {
  // One array parameter per column (unnest) instead of one parameter per value: the
  // statement text is the same for every batch size and Postgres parses 9 parameters,
  // not 9 per row. traceparent is null unless tracing is on.
  const inserted = await db.anyFirst(sql.type(Inserted)`
    INSERT INTO events (id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status, traceparent)
    SELECT * FROM ${sql.unnest(
      rows.map((r) => [r.id, r.sourceId, new Date(r.receivedAt).toISOString(), r.contentType, JSON.stringify(r.headers), r.body, r.idempotencyKey, r.fanoutStatus, r.traceparent ?? null]),
      ['uuid', 'uuid', 'timestamptz', 'text', 'jsonb', 'bytea', 'text', 'text', 'text'],
    )}
    ON CONFLICT (source_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id`)
  if (inserted.length === rows.length) return rows.map((r) => ({ id: r.id, duplicate: false }))

  const insertedSet = new Set(inserted)
  const missing = rows.filter((r) => !insertedSet.has(r.id))
  const existing = await db.any(sql.type(Existing)`
    SELECT id, source_id, idempotency_key FROM events
    WHERE (source_id, idempotency_key) IN (${sql.join(
      missing.map((r) => sql.fragment`(${r.sourceId}::uuid, ${r.idempotencyKey})`),
      sql.fragment`, `,
    )})`)
  const byKey = new Map(existing.map((e) => [`${e.source_id}\u0000${e.idempotency_key}`, e.id]))
  return rows.map((r) => {
    if (insertedSet.has(r.id)) return { id: r.id, duplicate: false }
    const original = byKey.get(`${r.sourceId}\u0000${r.idempotencyKey}`)
    if (!original) throw new Error(`event ${r.id} was neither inserted nor found as a duplicate`)
    return { id: original, duplicate: true }
  })
}

/** Compensation when the stream write failed after the commit: the sender will retry. */
export async function deleteEvents(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length) await db.query(sql.unsafe`DELETE FROM events WHERE id = ANY(${sql.array(ids, 'uuid')})`)
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
})
export type EventRow = Static<typeof EventRow>
const EVENT = row(EventRow)
const EVENT_COLUMNS = sql.fragment`e.id, e.source_id, s.slug AS source_slug, e.received_at, e.content_type, e.headers, e.body, e.idempotency_key, e.fanout_status, e.traceparent`

export async function getEvent(db: Queryable, id: string): Promise<EventRow> {
  const r = await db.maybeOne(sql.type(EVENT)`SELECT ${EVENT_COLUMNS} FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id = ${id}`)
  if (!r) throw new Errors.EVENT_NOT_FOUND(id)
  return r
}

export async function getEvents(db: Queryable, ids: readonly string[]): Promise<readonly EventRow[]> {
  return db.any(sql.type(EVENT)`SELECT ${EVENT_COLUMNS} FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id = ANY(${sql.array(ids, 'uuid')})`)
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

/** A stored event as plugins and transforms see it: raw bytes, plus the parse when it is JSON. */
export function toEventView(e: EventRow): EventView {
  let json: unknown
  if (!e.content_type || /json/i.test(e.content_type)) {
    try {
      json = JSON.parse(e.body.toString('utf8'))
    } catch {
      json = undefined
    }
  }
  return {
    id: e.id,
    sourceId: e.source_id,
    sourceSlug: e.source_slug,
    receivedAt: new Date(e.received_at),
    contentType: e.content_type,
    headers: e.headers,
    body: e.body,
    json,
  }
}
