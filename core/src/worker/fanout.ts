/**
 * Fan-out stage: event entries in, one delivery per enabled subscription out.
 * Idempotent (store/deliveries.ts fanOut), so a reclaimed or duplicate entry is harmless.
 */
import type { Db } from '../db/pool.ts'
import { enqueueDeliveries } from '../queue/enqueue.ts'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import { FANOUT_GROUP } from '../redis/keys.ts'
import { fanOut } from '../store/deliveries.ts'
import { isUuid } from '../store/ids.ts'
import type { StreamEntry } from './stream-consumer.ts'

export function fanoutHandler(deps: { db: Db; redis: RelayRedis; keys: Keys }) {
  const { db, redis, keys } = deps
  return async (entries: StreamEntry[]): Promise<void> => {
    const eventIds = [...new Set(entries.map((e) => e.fields.e).filter((id): id is string => !!id && isUuid(id)))]
    const deliveryIds = await fanOut(db, eventIds)
    await enqueueDeliveries(redis, keys, deliveryIds)
    await redis.xack(keys.events, FANOUT_GROUP, ...entries.map((e) => e.id))
  }
}
