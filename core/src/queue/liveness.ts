/**
 * Worker liveness: each worker keeps a key `relay:v1:alive:<consumer>` that expires
 * after `ttlMs` unless refreshed (every ttlMs / 5), and its name in the set
 * `relay:v1:workers` (re-added with every beat, so a Redis that lost its data learns it
 * again). A worker that dies (kill -9, lost node) stops refreshing, its key lapses
 * within ttlMs, and the others take over its pending work at once (takeover.ts) instead
 * of waiting out an idle time sized for the slowest receiver. Only members of the set
 * can be taken for dead: a worker of an older version keeps no key and is left to the
 * idle-time reclaim. A worker that stops cleanly removes both on the way out.
 */
import type { Logger } from 'pino'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'

export interface Liveness {
  stop(): Promise<void>
}

export async function startLiveness(d: { redis: RelayRedis; keys: Keys; consumer: string; ttlMs: number; log: Logger }): Promise<Liveness> {
  const key = d.keys.alive + d.consumer
  const beat = async () => {
    const replies = await d.redis.multi().set(key, String(Date.now()), 'PX', d.ttlMs).sadd(d.keys.workers, d.consumer).exec()
    const failed = replies?.find(([err]) => err)
    if (!replies || failed) throw failed?.[0] ?? new Error('no reply')
  }
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
      await d.redis.multi().del(key).srem(d.keys.workers, d.consumer).exec().catch(() => {})
    },
  }
}

/** Which of these consumers keep liveness keys (members of the workers set) and have let theirs lapse. */
export async function lapsed(redis: RelayRedis, keys: Keys, consumers: readonly string[]): Promise<string[]> {
  if (consumers.length === 0) return []
  const pipe = redis.pipeline()
  pipe.smismember(keys.workers, ...consumers)
  for (const c of consumers) pipe.exists(keys.alive + c)
  const replies = (await pipe.exec()) ?? []
  const [memberErr, members] = replies[0] ?? [new Error('no reply'), []]
  if (memberErr) throw memberErr
  return consumers.filter((_, i) => {
    const [err, n] = replies[i + 1] ?? [new Error('no reply'), 1]
    return (members as number[])[i] === 1 && !err && n === 0
  })
}

/** Forgets workers that keep no key any more and hold nothing in any group (`listed`: consumers still in a group). */
export async function forgetLapsed(redis: RelayRedis, keys: Keys, listed: ReadonlySet<string>): Promise<number> {
  const members = (await redis.smembers(keys.workers)).filter((m) => !listed.has(m))
  const gone = await lapsed(redis, keys, members)
  return gone.length ? redis.srem(keys.workers, ...gone) : 0
}
