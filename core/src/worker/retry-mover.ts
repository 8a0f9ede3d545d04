/**
 * Retry mover: moves due members of the retry sorted set back to the deliveries stream
 * (Lua, atomic; redis/move-due.lua). Every worker runs it; the script is safe to run
 * concurrently, so no lock is needed.
 */
import type { Logger } from 'pino'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import { moveDueRetries } from '../queue/enqueue.ts'

export const MOVER_INTERVAL_MS = 250
const MOVE_PER_CALL = 1000

export function startRetryMover(deps: { redis: RelayRedis; keys: Keys; log: Logger; intervalMs?: number }): { stop(): void; tick(): Promise<number> } {
  const { redis, keys, log } = deps
  let busy = false
  const tick = async (): Promise<number> => {
    if (busy) return 0
    busy = true
    let moved = 0
    try {
      // Keep going while full batches come back, so a backlog drains in one tick.
      for (;;) {
        const n = await moveDueRetries(redis, keys, Date.now(), MOVE_PER_CALL)
        moved += n
        if (n < MOVE_PER_CALL) break
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'retry mover tick failed')
    } finally {
      busy = false
    }
    return moved
  }
  const timer = setInterval(() => void tick(), deps.intervalMs ?? MOVER_INTERVAL_MS)
  timer.unref()
  return { stop: () => clearInterval(timer), tick }
}
