/**
 * Worker liveness: each worker keeps a key `relay:v1:alive:<consumer>` that expires
 * after `ttlMs` unless refreshed (every ttlMs / 5). A worker that dies (kill -9, lost
 * node) stops refreshing, its key lapses within ttlMs, and the others take over its
 * pending work at once (takeover.ts) instead of waiting out an idle time sized for
 * the slowest receiver. A worker that stops cleanly deletes its key on the way out.
 */
import type { Logger } from 'pino'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'

export interface Liveness {
  stop(): Promise<void>
}

export async function startLiveness(d: { redis: RelayRedis; keys: Keys; consumer: string; ttlMs: number; log: Logger }): Promise<Liveness> {
  const key = d.keys.alive + d.consumer
  const beat = () => d.redis.set(key, String(Date.now()), 'PX', d.ttlMs)
  // The first beat before the worker reads anything: a consumer is never seen without it.
  await beat()
  let failing = false
  const timer = setInterval(() => {
    beat().then(
      () => {
        if (failing) d.log.info('liveness key refreshed again')
        failing = false
      },
      (err: Error) => {
        // Others may now take this worker's claims over; its writes are then fenced out.
        if (!failing) d.log.warn({ err: err.message }, 'refreshing the liveness key failed')
        failing = true
      },
    )
  }, Math.max(100, Math.floor(d.ttlMs / 5)))
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await d.redis.del(key).catch(() => {})
    },
  }
}

/** Which of these consumers have no liveness key. */
export async function withoutLiveness(redis: RelayRedis, keys: Keys, consumers: readonly string[]): Promise<string[]> {
  if (consumers.length === 0) return []
  const pipe = redis.pipeline()
  for (const c of consumers) pipe.exists(keys.alive + c)
  const replies = (await pipe.exec()) ?? []
  return consumers.filter((_, i) => {
    const [err, n] = replies[i] ?? [new Error('no reply'), 1]
    return !err && n === 0
  })
}
