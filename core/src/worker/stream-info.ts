/** Reading consumer-group state: lag and pending counts, for the reconciler, trimming and metrics. */
import type { RelayRedis } from '../redis/client.ts'

export interface GroupInfo {
  lag: number | null
  pending: number
  lastDeliveredId: string
}

export async function groupInfo(redis: RelayRedis, stream: string, group: string): Promise<GroupInfo | null> {
  let groups: unknown[]
  try {
    groups = (await redis.xinfo('GROUPS', stream)) as unknown[]
  } catch {
    return null
  }
  for (const g of groups) {
    const flat = g as (string | number | null)[]
    const info: Record<string, string | number | null> = {}
    for (let i = 0; i < flat.length; i += 2) info[String(flat[i])] = flat[i + 1] ?? null
    if (info.name === group) {
      return { lag: info.lag === null || info.lag === undefined ? null : Number(info.lag), pending: Number(info.pending ?? 0), lastDeliveredId: String(info['last-delivered-id']) }
    }
  }
  return null
}

/** Entries the group has not read yet; null when Redis cannot tell (treated as "not caught up"). */
export async function groupLag(redis: RelayRedis, stream: string, group: string): Promise<number | null> {
  return (await groupInfo(redis, stream, group))?.lag ?? null
}

/**
 * Trims entries every consumer of the group has acked: everything older than both the
 * oldest pending entry and the last delivered id. Streams never grow without bound, and
 * nothing unread or unacked is ever trimmed.
 */
export async function trimAcked(redis: RelayRedis, stream: string, group: string): Promise<void> {
  const info = await groupInfo(redis, stream, group)
  if (!info) return
  let minId = info.lastDeliveredId
  if (info.pending > 0) {
    const summary = (await redis.xpending(stream, group)) as [number, string | null, string | null, unknown]
    if (summary[1] && compareIds(summary[1], minId) < 0) minId = summary[1]
  }
  if (minId && minId !== '0-0') await redis.xtrim(stream, 'MINID', '~', minId)
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint]
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint]
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1
}
