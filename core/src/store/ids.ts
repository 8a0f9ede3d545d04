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

export const newId = (): string => {
  if (next === POOL_IDS) {
    randomFillSync(pool)
    next = 0
  }
  const random = pool.subarray(16 * next, 16 * ++next)
  return v7({ random })
}
export const webhookIdFor = (deliveryId: string): string => `msg_${deliveryId.replaceAll('-', '')}`
export const isUuid = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)
