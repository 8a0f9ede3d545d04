/**
 * Dead-letter reads over the schema (sql/0007_dead_letters.sql, 0009): what the
 * dead-letter queue's API (plugins/dlq, through the lifecycle DeliveryStateService) lists,
 * pages, counts and selects for replay-many. Replay and discard are the state machine's
 * transitions (delivery/service.ts); nothing here writes.
 *
 * Page cursors are the last row's (created_at, delivery_id), with created_at as integer
 * microseconds so no precision is lost. An id alone would not do: people replay while
 * they page, and a replayed row is no longer there to compare with.
 */
import { sql, type FragmentSqlToken, type ListSqlToken } from 'slonik'
import type { DeadLetter, DeadLetterFilter } from '@webhook-relay/plugin-sdk'
import type { Db } from '../db/pool.ts'

const CURSOR = /^(\d{1,19})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i

function encodeCursor(createdAtUs: string, deliveryId: string): string {
  return `${createdAtUs}_${deliveryId}`
}

/** The "older than the cursor" condition, or null when the cursor is malformed. */
function beforeCursor(cursor: string): FragmentSqlToken | null {
  const m = CURSOR.exec(cursor)
  if (!m) return null
  // Interval arithmetic on an integer keeps microseconds exact (to_timestamp(float) would not).
  return sql.fragment`(dl.created_at, dl.delivery_id) < (timestamptz 'epoch' + (${m[1]!} || ' microseconds')::interval, ${m[2]!}::uuid)`
}

/** The column expression that produces a row's cursor time. */
const CURSOR_US = sql.fragment`(extract(epoch FROM dl.created_at) * 1000000)::bigint::text`

/**
 * WHERE conditions over `dead_letters dl JOIN deliveries d JOIN subscriptions s`, shared
 * by listing and replay-many, so "what the list shows" and "what replay-many replays" are
 * the same set by construction. A dead letter exists exactly while its delivery is dead
 * (the core writes and removes both in one transition).
 */
function filterConditions(f: DeadLetterFilter): ListSqlToken {
  const conds = [
    sql.fragment`TRUE`,
    f.sourceId ? sql.fragment`s.source_id = ${f.sourceId}` : null,
    f.subscriptionId ? sql.fragment`d.subscription_id = ${f.subscriptionId}` : null,
    f.reason ? sql.fragment`dl.reason = ${f.reason}` : null,
    f.since ? sql.fragment`dl.created_at >= ${f.since}::timestamptz` : null,
    f.until ? sql.fragment`dl.created_at < ${f.until}::timestamptz` : null,
  ].filter((c) => c !== null)
  return sql.join(conds, sql.fragment` AND `)
}

const FROM_DEAD_LETTERS = sql.fragment`dead_letters dl
  JOIN deliveries d ON d.id = dl.delivery_id
  JOIN subscriptions s ON s.id = d.subscription_id`

interface DeadLetterRow {
  delivery_id: string
  event_id: string
  subscription_id: string
  source_id: string
  action: string
  webhook_id: string
  reason: string
  last_error: string | null
  attempt_count: number
  dead_at: number
  received_at: number
  cursor_us: string
}

const COLUMNS = sql.fragment`dl.delivery_id, d.event_id, d.subscription_id, s.source_id, s.action, d.webhook_id, dl.reason,
  dl.last_error, d.attempt_count, dl.created_at AS dead_at, e.received_at, ${CURSOR_US} AS cursor_us`

function view(r: DeadLetterRow): DeadLetter {
  return {
    deliveryId: r.delivery_id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    sourceId: r.source_id,
    action: r.action,
    webhookId: r.webhook_id,
    reason: r.reason,
    lastError: r.last_error,
    attemptCount: r.attempt_count,
    deadAt: new Date(r.dead_at).toISOString(),
    eventReceivedAt: new Date(r.received_at).toISOString(),
  }
}

/** Newest first. `nextBefore` is the cursor of the page after this one, null on the last page. */
export async function listDeadLetters(
  db: Db,
  f: DeadLetterFilter & { before?: string; limit: number },
): Promise<{ items: DeadLetter[]; nextBefore: string | null } | null> {
  const page = f.before === undefined ? null : beforeCursor(f.before)
  if (f.before !== undefined && page === null) return null
  const where = page ? sql.fragment`${filterConditions(f)} AND ${page}` : filterConditions(f)
  const rows = (await db.any(sql.unsafe`SELECT ${COLUMNS} FROM ${FROM_DEAD_LETTERS} JOIN events e ON e.id = d.event_id
    WHERE ${where} ORDER BY dl.created_at DESC, dl.delivery_id DESC LIMIT ${f.limit}`)) as readonly DeadLetterRow[]
  const last = rows.at(-1)
  return { items: rows.map(view), nextBefore: rows.length === f.limit && last ? encodeCursor(last.cursor_us, last.delivery_id) : null }
}

export async function getDeadLetter(db: Db, deliveryId: string): Promise<DeadLetter | null> {
  const r = (await db.maybeOne(sql.unsafe`SELECT ${COLUMNS} FROM ${FROM_DEAD_LETTERS} JOIN events e ON e.id = d.event_id
    WHERE dl.delivery_id = ${deliveryId}`)) as DeadLetterRow | null
  return r ? view(r) : null
}

export async function countDeadLetters(db: Db, f: DeadLetterFilter): Promise<number> {
  return (await db.oneFirst(sql.unsafe`SELECT count(*)::int FROM ${FROM_DEAD_LETTERS} WHERE ${filterConditions(f)}`)) as number
}

/**
 * The ids of up to `limit` dead letters matching the filter, oldest first: what
 * replay-many hands to the core's replayDead (a delivery another person replayed
 * meanwhile is no longer dead and is left out there).
 */
export async function oldestDeadLetterIds(db: Db, f: DeadLetterFilter, limit: number): Promise<readonly string[]> {
  return (await db.anyFirst(sql.unsafe`SELECT dl.delivery_id FROM ${FROM_DEAD_LETTERS}
    WHERE ${filterConditions(f)} ORDER BY dl.created_at, dl.delivery_id LIMIT ${limit}`)) as readonly string[]
}
