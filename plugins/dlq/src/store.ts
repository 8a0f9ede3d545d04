/**
 * Dead-letter reads over the core schema (sql/0007_dead_letters.sql, 0009). Replay and
 * discard are the core's transitions (LifecycleDeps.deliveries): this plugin selects,
 * the delivery state machine changes rows.
 */
import { sql, type DatabasePool } from 'slonik'
import { beforeCursor, CURSOR_US, encodeCursor } from './cursor.ts'
import { filterConditions, FROM_DEAD_LETTERS, type Filter } from './filters.ts'

export interface DeadLetter {
  deliveryId: string
  eventId: string
  subscriptionId: string
  sourceId: string
  action: string
  webhookId: string
  reason: string
  lastError: string | null
  attemptCount: number
  deadAt: string
  eventReceivedAt: string
}

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
  db: DatabasePool,
  f: Filter & { before?: string; limit: number },
): Promise<{ items: DeadLetter[]; nextBefore: string | null } | null> {
  const page = f.before === undefined ? null : beforeCursor(f.before)
  if (f.before !== undefined && page === null) return null
  const where = page ? sql.fragment`${filterConditions(f)} AND ${page}` : filterConditions(f)
  const rows = (await db.any(sql.unsafe`SELECT ${COLUMNS} FROM ${FROM_DEAD_LETTERS} JOIN events e ON e.id = d.event_id
    WHERE ${where} ORDER BY dl.created_at DESC, dl.delivery_id DESC LIMIT ${f.limit}`)) as readonly DeadLetterRow[]
  const last = rows.at(-1)
  return { items: rows.map(view), nextBefore: rows.length === f.limit && last ? encodeCursor(last.cursor_us, last.delivery_id) : null }
}

export async function getDeadLetter(db: DatabasePool, deliveryId: string): Promise<DeadLetter | null> {
  const r = (await db.maybeOne(sql.unsafe`SELECT ${COLUMNS} FROM ${FROM_DEAD_LETTERS} JOIN events e ON e.id = d.event_id
    WHERE dl.delivery_id = ${deliveryId}`)) as DeadLetterRow | null
  return r ? view(r) : null
}

export async function countDeadLetters(db: DatabasePool, f: Filter): Promise<number> {
  return (await db.oneFirst(sql.unsafe`SELECT count(*)::int FROM ${FROM_DEAD_LETTERS} WHERE ${filterConditions(f)}`)) as number
}

/**
 * The ids of up to `limit` dead letters matching the filter, oldest first: what
 * replay-many hands to the core's replayDead (a delivery another person replayed
 * meanwhile is no longer dead and is left out there).
 */
export async function oldestDeadLetterIds(db: DatabasePool, f: Filter, limit: number): Promise<readonly string[]> {
  return (await db.anyFirst(sql.unsafe`SELECT dl.delivery_id FROM ${FROM_DEAD_LETTERS}
    WHERE ${filterConditions(f)} ORDER BY dl.created_at, dl.delivery_id LIMIT ${limit}`)) as readonly string[]
}
