/**
 * Taking over a dead consumer's pending entries. A consumer is dead when it keeps a
 * liveness key (it is in the workers set) and the key is gone (liveness.ts). One worker
 * at a time takes over one dead consumer (a lease per dead consumer), XCLAIMs its
 * entries in batches for its own handler, and removes the consumer from the group once
 * nothing is left pending, so the group's consumer list does not grow with every restart.
 */
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import { toEntries, type StreamEntry } from './entries.ts'
import { lapsed } from './liveness.ts'
import { releaseLease, takeLease } from '../redis/lease.ts'

/** The names of a group's consumers (XINFO CONSUMERS). */
export async function groupConsumers(redis: RelayRedis, stream: string, group: string): Promise<string[]> {
  const raw = (await redis.xinfo('CONSUMERS', stream, group)) as (string | number)[][]
  return raw.map((flat) => String(flat[flat.indexOf('name') + 1]))
}

/** The group's consumers, other than `self`, that are dead; and every consumer the group lists. */
export async function deadConsumers(redis: RelayRedis, keys: Keys, stream: string, group: string, self: string): Promise<{ dead: string[]; listed: string[] }> {
  const listed = await groupConsumers(redis, stream, group)
  return { dead: await lapsed(redis, keys, listed.filter((c) => c !== self)), listed }
}

/** Takes the lease on taking over `consumer`; false when another worker has it. */
export function lockTakeover(redis: RelayRedis, keys: Keys, consumer: string, self: string, leaseMs: number): Promise<boolean> {
  return takeLease(redis, keys.takeoverLock + consumer, self, leaseMs)
}

export function unlockTakeover(redis: RelayRedis, keys: Keys, consumer: string, self: string): Promise<void> {
  return releaseLease(redis, keys.takeoverLock + consumer, self)
}

/**
 * Moves up to `count` of `from`'s pending entries to `to` and returns them. Entries
 * trimmed from the stream meanwhile are dropped from the pending list by XCLAIM itself.
 */
export async function claimPending(redis: RelayRedis, stream: string, group: string, from: string, to: string, count: number): Promise<{ entries: StreamEntry[]; claimedIds: number }> {
  const pending = (await redis.xpending(stream, group, '-', '+', count, from)) as [string, string, number, number][]
  if (pending.length === 0) return { entries: [], claimedIds: 0 }
  const raw = (await redis.xclaim(stream, group, to, 0, ...pending.map((p) => p[0]))) as [string, string[]][]
  return { entries: toEntries(raw), claimedIds: pending.length }
}

export async function removeConsumer(redis: RelayRedis, stream: string, group: string, consumer: string): Promise<void> {
  await redis.xgroup('DELCONSUMER', stream, group, consumer)
}
