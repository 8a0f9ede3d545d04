/**
 * Writes to the queue (redis/keys.ts has the design): deliveries due now go to the
 * stream, later ones to the retry set, handled entries are acked. Every Redis write of
 * the delivery path goes through this module or its neighbours (liveness.ts, takeover.ts).
 */
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'

export async function enqueueDeliveries(redis: RelayRedis, keys: Keys, ids: readonly string[], traceparent?: string): Promise<void> {
  await enqueueTracedDeliveries(redis, keys, ids.map((id) => ({ id, traceparent })))
}

/**
 * Each delivery with its own trace context (`tp`); returns the stream entry ids, in
 * order. `ack`: entries of another stream that these deliveries answer (fan-out's event
 * entries), acked in the same pipeline after the XADDs: one round trip for both.
 */
export async function enqueueTracedDeliveries(
  redis: RelayRedis,
  keys: Keys,
  items: readonly { id: string; traceparent?: string }[],
  ack?: { stream: string; group: string; entryIds: readonly string[] },
): Promise<string[]> {
  if (items.length === 0 && !ack?.entryIds.length) return []
  const pipe = redis.pipeline()
  for (const { id, traceparent } of items) {
    if (traceparent) pipe.xadd(keys.deliveries, '*', 'd', id, 'tp', traceparent)
    else pipe.xadd(keys.deliveries, '*', 'd', id)
  }
  if (ack?.entryIds.length) pipe.xack(ack.stream, ack.group, ...ack.entryIds)
  return (await execOrThrow(pipe)).slice(0, items.length).map(([, entryId]) => String(entryId))
}

export async function enqueueEvents(redis: RelayRedis, keys: Keys, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  const pipe = redis.pipeline()
  for (const id of ids) pipe.xadd(keys.events, '*', 'e', id)
  await execOrThrow(pipe)
}

/**
 * Due now by a person's hand (retry now, replay, a subscription enabled): on the stream,
 * and out of the retry set so the old due time does not send it again.
 */
export async function enqueueDueNow(redis: RelayRedis, keys: Keys, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  const pipe = redis.pipeline()
  pipe.zrem(keys.retries, ...ids)
  for (const id of ids) pipe.xadd(keys.deliveries, '*', 'd', id)
  await execOrThrow(pipe)
}

/** Acks handled entries of one stream's group. */
export async function ack(redis: RelayRedis, stream: string, group: string, entryIds: readonly string[]): Promise<void> {
  if (entryIds.length) await redis.xack(stream, group, ...entryIds)
}

/** Moves due retries to the deliveries stream (redis/move-due.lua, atomic); returns how many. */
export function moveDueRetries(redis: RelayRedis, keys: Keys, nowMs: number, max: number): Promise<number> {
  return redis.moveDue(keys.retries, keys.deliveries, nowMs, max)
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
