/**
 * Identifiers. UUIDv7 (time-ordered) keeps the primary-key index append-mostly under
 * heavy ingest, unlike random v4. The webhook id sent to receivers is derived from the
 * delivery id, so it is stable across that delivery's retries and replays.
 */
import { randomFillSync } from 'node:crypto'
import { v7 } from 'uuid'

/** Random bytes drawn in bulk: one syscall per 256 ids instead of one per id. */
const POOL_IDS = 256
const pool = Buffer.alloc(16 * POOL_IDS)
let next = POOL_IDS

const randomBytes16 = (): Buffer => {
  if (next === POOL_IDS) {
    randomFillSync(pool)
    next = 0
  }
  return pool.subarray(16 * next, 16 * ++next)
}

export const newId = (): string => v7({ random: randomBytes16() })

/** The millisecond a UUIDv7 carries (its first 48 bits). */
export const idTime = (id: string): number => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

/**
 * A new id with the time of another: a replay delivery takes its event's time, so it is
 * stored in the event's partition and leaves with it at retention (sql/0015).
 */
export const newIdAtTimeOf = (id: string): string => v7({ random: randomBytes16(), msecs: idTime(id) })

/**
 * The smallest and largest UUID with the same milliseconds as the given ids: a delivery's
 * id carries its event's time, so `d.id BETWEEN lo AND hi` for an event's ids lets
 * PostgreSQL look in the events' partitions only.
 */
export function idTimeSpan(ids: readonly string[]): { lo: string; hi: string } {
  let lo = ids[0]!.slice(0, 13)
  let hi = lo
  for (const id of ids) {
    const prefix = id.slice(0, 13)
    if (prefix < lo) lo = prefix
    if (prefix > hi) hi = prefix
  }
  return { lo: `${lo}-0000-0000-000000000000`, hi: `${hi}-ffff-ffff-ffffffffffff` }
}
export const webhookIdFor = (deliveryId: string): string => `msg_${deliveryId.replaceAll('-', '')}`
export const isUuid = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)
