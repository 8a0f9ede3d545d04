/**
 * Page cursors for the dead-letter list: the last row's (created_at, delivery_id), with
 * created_at as integer microseconds so no precision is lost. An id alone would not do:
 * people replay while they page, and a replayed row is no longer there to compare with.
 */
import { sql, type FragmentSqlToken } from 'slonik'

const CURSOR = /^(\d{1,19})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i

export function encodeCursor(createdAtUs: string, deliveryId: string): string {
  return `${createdAtUs}_${deliveryId}`
}

/** The "older than the cursor" condition, or null when the cursor is malformed. */
export function beforeCursor(cursor: string): FragmentSqlToken | null {
  const m = CURSOR.exec(cursor)
  if (!m) return null
  // Interval arithmetic on an integer keeps microseconds exact (to_timestamp(float) would not).
  return sql.fragment`(dl.created_at, dl.delivery_id) < (timestamptz 'epoch' + (${m[1]!} || ' microseconds')::interval, ${m[2]!}::uuid)`
}

/** The column expression that produces a row's cursor time. */
export const CURSOR_US = sql.fragment`(extract(epoch FROM dl.created_at) * 1000000)::bigint::text`
