/**
 * Short leases in Redis (SET NX PX): one holder at a time for work that every worker
 * could do (the reconciler, retention, the circuit task, taking over one dead worker).
 * A lease is released by its holder only: one that outlived its PX and was taken by
 * another worker is not deleted from under it.
 */
import type { RelayRedis } from './client.ts'

const RELEASE_OWN = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

/** Takes the lease for `holder`; false when someone else has it. */
export async function takeLease(redis: RelayRedis, key: string, holder: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK'
}

/** Releases the lease if `holder` still has it. */
export async function releaseLease(redis: RelayRedis, key: string, holder: string): Promise<void> {
  await redis.eval(RELEASE_OWN, 1, key, holder)
}

/** Runs `fn` under the lease, or not at all (null) when another holder has it; the lease is released after. */
export async function withLease<T>(redis: RelayRedis, key: string, ttlMs: number, fn: () => Promise<T>): Promise<T | null> {
  const holder = `${process.pid}-${Math.random()}`
  if (!(await takeLease(redis, key, holder, ttlMs))) return null
  try {
    return await fn()
  } finally {
    await releaseLease(redis, key, holder).catch(() => {})
  }
}
