/**
 * Reads the pages need that the REST API does not offer: the overview's counters, the
 * event log with filters (without loading bodies), and the dead-letter list. Every list
 * uses keyset paging on an indexed order, never OFFSET, so page N costs what page 1 does.
 */
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { CLAIMABLE, FAILING, HELD, row, Status, statusIn, statusIs, type Services } from '@webhook-relay/core/admin'

const STATUS = sql.fragment`status`
const D_STATUS = sql.fragment`d.status`

export const PAGE_SIZE = 50
const RECENT_FAILURES = 10

type Db = Services['db']

/**
 * The smallest UUIDv7 of a millisecond: event ids are UUIDv7, so "received after t" is
 * a primary-key range scan instead of a full scan of the events table.
 */
export function uuidV7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`
}

const Counts = row(
  Type.Object({
    retrying: Type.Integer(),
    paused: Type.Integer(),
    dead_letters: Type.Integer(),
  }),
)

const Failure = Type.Object({
  id: Type.String(),
  status: Type.String(),
  last_error: Type.Union([Type.Null(), Type.String()]),
  updated_at: Type.Number(),
  attempt_count: Type.Integer(),
  action: Type.String(),
  source_name: Type.String(),
})
export type Failure = Static<typeof Failure>
const FAILURE = row(Failure)

/**
 * What waits (retrying, paused, dead) and the latest failures; each from an index on
 * status. Rates over time come from the traffic rollup instead (ui/src/traffic.ts):
 * counting an hour of events or deliveries would read every one of them.
 */
export async function overview(s: Services) {
  const [counts, failures, scheduled] = await Promise.all([
    s.db.one(sql.type(Counts)`SELECT
      (SELECT count(*) FROM deliveries WHERE ${statusIs(STATUS, Status.retrying)})::int AS retrying,
      (SELECT count(*) FROM deliveries WHERE ${statusIs(STATUS, Status.paused)})::int AS paused,
      (SELECT count(*) FROM dead_letters)::int AS dead_letters`),
    s.db.any(sql.type(FAILURE)`SELECT d.id, d.status, d.last_error, d.updated_at, d.attempt_count, sub.action, src.name AS source_name
      FROM deliveries d JOIN subscriptions sub ON sub.id = d.subscription_id JOIN sources src ON src.id = sub.source_id
      WHERE ${statusIn(D_STATUS, FAILING)} ORDER BY d.created_at DESC LIMIT ${RECENT_FAILURES}`),
    s.redis.zcard(s.keys.retries).catch(() => null),
  ])
  return { ...counts, retryScheduled: scheduled, failures }
}

const LogRow = Type.Object({
  id: Type.String(),
  source_id: Type.String(),
  received_at: Type.Number(),
  content_type: Type.Union([Type.Null(), Type.String()]),
  idempotency_key: Type.Union([Type.Null(), Type.String()]),
  fanout_status: Type.String(),
  size: Type.Integer(),
  head: Type.Unsafe<Buffer>({}),
  delivered: Type.Integer(),
  failing: Type.Integer(),
})
export type LogRow = Static<typeof LogRow>
const LOG_ROW = row(LogRow)

export const EVENT_STATUSES = ['recorded', 'pending', 'done', 'failing'] as const

export interface EventFilter {
  /** One source's log; absent: every source's events (the Events page). */
  sourceId?: string
  before?: string
  after?: string
  status?: string
  q?: string
  since?: number
  until?: number
}

/** Text search reads bodies, so it looks at this many newest rows (within the other filters). */
export const SEARCH_WINDOW = 10_000

/**
 * Newest first. One source's log is ordered by (received_at, id), the
 * events_source_received index; the log of every source by id, the primary key, which
 * is a UUIDv7 of the receive time: the same order, and an index every partition has, so
 * a page costs the same on any table size. A text search (body bytes, headers,
 * idempotency key, id) cannot use an index, so it scans at most SEARCH_WINDOW rows:
 * a page stays fast, and the time filters reach further back.
 */
export async function eventLog(db: Db, f: EventFilter, limit = PAGE_SIZE): Promise<readonly LogRow[]> {
  const one = f.sourceId !== undefined
  const older = (id: string) => (one ? sql.fragment`(e.received_at, e.id) < (SELECT received_at, id FROM events WHERE id = ${id})` : sql.fragment`e.id < ${id}`)
  const newer = (id: string) => (one ? sql.fragment`(e.received_at, e.id) > (SELECT received_at, id FROM events WHERE id = ${id})` : sql.fragment`e.id > ${id}`)
  const conds = [
    one ? sql.fragment`e.source_id = ${f.sourceId!}` : null,
    f.before ? older(f.before) : null,
    f.after ? newer(f.after) : null,
    f.status === 'failing'
      ? sql.fragment`EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND ${statusIn(D_STATUS, FAILING)})`
      : f.status
        ? sql.fragment`e.fanout_status = ${f.status}`
        : null,
    f.since !== undefined ? (one ? sql.fragment`e.received_at >= to_timestamp(${f.since / 1000})` : sql.fragment`e.id >= ${uuidV7Floor(f.since)}::uuid`) : null,
    f.until !== undefined ? (one ? sql.fragment`e.received_at < to_timestamp(${f.until / 1000})` : sql.fragment`e.id < ${uuidV7Floor(f.until)}::uuid`) : null,
  ].filter((c) => c !== null)
  const where = conds.length ? sql.fragment`WHERE ${sql.join(conds, sql.fragment` AND `)}` : sql.fragment``
  const order = one ? sql.fragment`e.received_at DESC, e.id DESC` : sql.fragment`e.id DESC`
  const window = f.q
    ? sql.fragment`(SELECT * FROM events e ${where} ORDER BY ${order} LIMIT ${SEARCH_WINDOW}) e
        WHERE (position(convert_to(${f.q}, 'UTF8') in e.body) > 0 OR position(${f.q} in e.headers::text) > 0 OR e.idempotency_key = ${f.q} OR e.id::text = ${f.q})`
    : sql.fragment`events e ${where}`
  return db.any(sql.type(LOG_ROW)`
    SELECT e.id, e.source_id, e.received_at, e.content_type, e.idempotency_key, e.fanout_status, octet_length(e.body)::int AS size,
      substring(e.body from 1 for 160) AS head,
      (SELECT count(*) FROM deliveries d WHERE d.event_id = e.id AND ${statusIs(D_STATUS, Status.succeeded)})::int AS delivered,
      (SELECT count(*) FROM deliveries d WHERE d.event_id = e.id AND ${statusIn(D_STATUS, FAILING)})::int AS failing
    FROM ${window}
    ORDER BY ${order} LIMIT ${limit}`)
}

const DeadLetter = Type.Object({
  delivery_id: Type.String(),
  reason: Type.String(),
  last_error: Type.Union([Type.Null(), Type.String()]),
  created_at: Type.Number(),
  event_id: Type.String(),
  subscription_id: Type.String(),
  attempt_count: Type.Integer(),
  action: Type.String(),
  source_id: Type.String(),
  source_name: Type.String(),
})
export type DeadLetter = Static<typeof DeadLetter>
const DEAD_LETTER = row(DeadLetter)

export async function deadLetters(
  db: Db,
  f: { sourceId?: string; reason?: string; before?: string },
  limit = PAGE_SIZE,
): Promise<readonly DeadLetter[]> {
  const conds = [
    f.sourceId ? sql.fragment`sub.source_id = ${f.sourceId}` : null,
    f.reason ? sql.fragment`dl.reason = ${f.reason}` : null,
    f.before ? sql.fragment`(dl.created_at, dl.delivery_id) < (SELECT created_at, delivery_id FROM dead_letters WHERE delivery_id = ${f.before})` : null,
  ].filter((c) => c !== null)
  const where = conds.length ? sql.fragment`WHERE ${sql.join(conds, sql.fragment` AND `)}` : sql.fragment``
  return db.any(sql.type(DEAD_LETTER)`
    SELECT dl.delivery_id, dl.reason, dl.last_error, dl.created_at, d.event_id, d.subscription_id, d.attempt_count,
      sub.action, sub.source_id, src.name AS source_name
    FROM dead_letters dl JOIN deliveries d ON d.id = dl.delivery_id
      JOIN subscriptions sub ON sub.id = d.subscription_id JOIN sources src ON src.id = sub.source_id
    ${where} ORDER BY dl.created_at DESC, dl.delivery_id DESC LIMIT ${limit}`)
}


const Recent = row(Type.Object({ id: Type.String(), received_at: Type.Number(), slug: Type.String(), size: Type.Integer() }))

/** The latest events of any source, for the script editor's "test against" picker. */
export async function recentEvents(db: Db, limit = 20) {
  return db.any(sql.type(Recent)`SELECT e.id, e.received_at, s.slug, octet_length(e.body)::int AS size
    FROM events e JOIN sources s ON s.id = e.source_id ORDER BY e.id DESC LIMIT ${limit}`)
}

const Paused = row(Type.Object({ n: Type.Integer() }))

/** How many deliveries of a subscription wait, paused, for it to be enabled (the deliveries_paused index). */
export async function pausedDeliveries(db: Db, subscriptionId: string): Promise<number> {
  return db.oneFirst(sql.type(Paused)`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = ${subscriptionId} AND ${statusIs(STATUS, Status.paused)}`)
}

/** How many deliveries of a subscription wait for the slot its rate limit gave them (the deliveries_throttled index). */
export async function throttledDeliveries(db: Db, subscriptionId: string): Promise<number> {
  return db.oneFirst(sql.type(Paused)`SELECT count(*)::int AS n FROM deliveries
    WHERE subscription_id = ${subscriptionId} AND throttled_until IS NOT NULL AND ${statusIn(STATUS, CLAIMABLE)}`)
}

const Doomed = row(Type.Object({ subscriptions: Type.Integer(), events: Type.Integer(), deliveries: Type.Integer(), unfinished: Type.Integer(), dead_letters: Type.Integer() }))
export type Doomed = Static<typeof Doomed>

/**
 * What deleting a subscription, or a source, takes with it: said on the confirmation
 * page before anything goes. Counts every row, so on a large source it reads for a
 * moment; it runs only when someone asks to delete.
 */
export async function whatGoesWith(db: Db, target: { subscriptionId: string } | { sourceId: string }): Promise<Doomed> {
  const subs = 'subscriptionId' in target
    ? sql.fragment`SELECT ${target.subscriptionId}::uuid AS id`
    : sql.fragment`SELECT id FROM subscriptions WHERE source_id = ${target.sourceId}`
  const events = 'sourceId' in target ? sql.fragment`(SELECT count(*) FROM events WHERE source_id = ${target.sourceId})::int` : sql.fragment`0`
  return db.one(sql.type(Doomed)`WITH s AS (${subs})
    SELECT ${'sourceId' in target ? sql.fragment`(SELECT count(*) FROM s)::int` : sql.fragment`1`} AS subscriptions,
      ${events} AS events,
      (SELECT count(*) FROM deliveries WHERE subscription_id IN (SELECT id FROM s))::int AS deliveries,
      (SELECT count(*) FROM deliveries WHERE subscription_id IN (SELECT id FROM s) AND ${statusIn(STATUS, HELD)})::int AS unfinished,
      (SELECT count(*) FROM dead_letters dl JOIN deliveries d ON d.id = dl.delivery_id WHERE d.subscription_id IN (SELECT id FROM s))::int AS dead_letters`)
}
