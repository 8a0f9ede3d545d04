/**
 * Failover task: every FAILOVER_INTERVAL_MS each worker looks for consumers of its
 * groups whose liveness key has lapsed (queue/liveness.ts) and takes their pending
 * entries over at once, handing them to its own stage with the dead consumer's name,
 * so the claims that consumer held in Postgres are taken over too without waiting out
 * their lease. A live worker, however slow its receivers, keeps its key fresh and is
 * never robbed. The idle-time reclaim (stream-consumer.ts) stays as the backstop.
 */
import type { Logger } from 'pino'
import type { Metrics } from '../metrics/metrics.ts'
import type { StreamEntry } from '../queue/entries.ts'
import { forgetLapsed } from '../queue/liveness.ts'
import { claimPending, deadConsumers, lockTakeover, removeConsumer, unlockTakeover } from '../queue/takeover.ts'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'

export const FAILOVER_INTERVAL_MS = 1_000

export interface FailoverStream {
  readonly stream: string
  readonly group: string
  /** Entries this worker can take now. */
  readonly capacity: () => number
  readonly handle: (entries: StreamEntry[], takeOverFrom: readonly string[]) => Promise<void>
}

export function startFailover(d: {
  redis: RelayRedis
  keys: Keys
  consumer: string
  streams: readonly FailoverStream[]
  metrics: Metrics
  log: Logger
  intervalMs?: number
}): { stop(): Promise<void>; tick(): Promise<number> } {
  let running: Promise<number> | null = null
  /** Takes `dead`'s entries of one stream over; `removed` once it held none there any more. */
  const takeOver = async (s: FailoverStream, dead: string): Promise<{ moved: number; removed: boolean }> => {
    // The lease outlives one batch by far; it only keeps two survivors from both taking over.
    if (!(await lockTakeover(d.redis, d.keys, dead, d.consumer, 30_000))) return { moved: 0, removed: false }
    let moved = 0
    try {
      for (;;) {
        const n = s.capacity()
        if (n <= 0) return { moved, removed: false }
        const { entries, claimedIds } = await claimPending(d.redis, s.stream, s.group, dead, d.consumer, n)
        if (claimedIds === 0) break
        moved += entries.length
        d.metrics.takeovers.inc({ stream: streamName(s.stream) }, entries.length)
        if (entries.length) await s.handle(entries, [dead])
      }
      // Nothing of it is left pending: the group forgets it.
      await removeConsumer(d.redis, s.stream, s.group, dead)
      if (moved) d.log.warn({ stream: streamName(s.stream), from: dead, entries: moved }, 'took over the pending entries of a worker whose liveness key lapsed')
    } finally {
      await unlockTakeover(d.redis, d.keys, dead, d.consumer).catch(() => {})
    }
    return { moved, removed: true }
  }
  const check = async (): Promise<number> => {
    let moved = 0
    try {
      const listed = new Set<string>()
      for (const s of d.streams) {
        const found = await deadConsumers(d.redis, d.keys, s.stream, s.group, d.consumer)
        const removed = new Set<string>()
        for (const name of found.dead) {
          const r = await takeOver(s, name)
          moved += r.moved
          if (r.removed) removed.add(name)
        }
        for (const name of found.listed) if (!removed.has(name)) listed.add(name)
      }
      // Workers taken over (or that never read) leave the workers set too.
      await forgetLapsed(d.redis, d.keys, listed)
    } catch (err) {
      const msg = (err as Error).message
      // No group yet (a fresh Redis before the first read): nothing to take over.
      if (!/NOGROUP|no such key/i.test(msg)) d.log.warn({ err: msg }, 'failover check failed')
    }
    return moved
  }
  const tick = (): Promise<number> => {
    if (running) return Promise.resolve(0)
    running = check().finally(() => (running = null))
    return running
  }
  const timer = setInterval(() => void tick(), d.intervalMs ?? FAILOVER_INTERVAL_MS)
  timer.unref()
  return {
    // Waits for a check in progress, so nothing is handed to the stage after it drained.
    async stop() {
      clearInterval(timer)
      await running
    },
    tick,
  }
}

const streamName = (key: string) => key.slice(key.indexOf('relay:'))
