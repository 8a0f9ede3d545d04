/** Writes to the queue: deliveries due now go to the stream, later ones to the retry set. */
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'

export async function enqueueDeliveries(redis: RelayRedis, keys: Keys, ids: readonly string[], traceparent?: string): Promise<void> {
  await enqueueTracedDeliveries(redis, keys, ids.map((id) => ({ id, traceparent })))
}

/** Each delivery with its own trace context (`tp`); returns the stream entry ids, in order. */
export async function enqueueTracedDeliveries(redis: RelayRedis, keys: Keys, items: readonly { id: string; traceparent?: string }[]): Promise<string[]> {
  if (items.length === 0) return []
  const pipe = redis.pipeline()
  for (const { id, traceparent } of items) {
    if (traceparent) pipe.xadd(keys.deliveries, '*', 'd', id, 'tp', traceparent)
    else pipe.xadd(keys.deliveries, '*', 'd', id)
  }
  return (await execOrThrow(pipe)).map(([, entryId]) => String(entryId))
}

export async function enqueueEvents(redis: RelayRedis, keys: Keys, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  const pipe = redis.pipeline()
  for (const id of ids) pipe.xadd(keys.events, '*', 'e', id)
  await execOrThrow(pipe)
}

export async function scheduleRetries(redis: RelayRedis, keys: Keys, due: readonly { id: string; atMs: number }[]): Promise<void> {
  if (due.length === 0) return
  const args: (string | number)[] = []
  for (const d of due) args.push(d.atMs, d.id)
  await redis.zadd(keys.retries, ...args)
}

async function execOrThrow(pipe: ReturnType<RelayRedis['pipeline']>): Promise<[Error | null, unknown][]> {
  const replies = await pipe.exec()
  const failed = replies?.find(([err]) => err)
  if (!replies || failed) throw failed?.[0] ?? new Error('redis pipeline returned nothing')
  return replies
}
