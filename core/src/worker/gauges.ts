/**
 * Gauges read from shared state (queue depths, lag, DLQ depth, subscriptions), refreshed
 * when /metrics is scraped. Every process reports the same global values: use max()
 * across instances in queries (docs/metrics.md).
 */
import { sql } from 'slonik'
import Type from 'typebox'
import type { Db } from '../db/pool.ts'
import { row } from '../db/row.ts'
import { Status, statusIn, statusIs } from '../delivery/status.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { RelayRedis } from '../redis/client.ts'
import { DELIVER_GROUP, FANOUT_GROUP, type Keys } from '../redis/keys.ts'
import { groupInfo } from './stream-info.ts'

const Held = row(Type.Object({ dead: Type.Integer(), paused: Type.Integer() }))
const PerSource = row(Type.Object({ slug: Type.String(), n: Type.Integer() }))

export function gaugeRefresher(deps: { db: Db; redis: RelayRedis; keys: Keys; metrics: Metrics }) {
  const { db, redis, keys, metrics } = deps
  return async (): Promise<void> => {
    const state = db.state()
    metrics.pgPool.set({ state: 'total' }, state.acquiredConnections + state.idleConnections)
    metrics.pgPool.set({ state: 'idle' }, state.idleConnections)
    metrics.pgPool.set({ state: 'waiting' }, state.waitingClients)
    const status = sql.fragment`status`
    const [retries, held, subs] = await Promise.all([
      redis.zcard(keys.retries),
      db.one(sql.type(Held)`SELECT count(*) FILTER (WHERE ${statusIs(status, Status.dead)})::int AS dead,
        count(*) FILTER (WHERE ${statusIs(status, Status.paused)})::int AS paused
        FROM deliveries WHERE ${statusIn(status, [Status.dead, Status.paused])}`),
      db.any(sql.type(PerSource)`SELECT s.slug, count(sub.id) FILTER (WHERE sub.enabled)::int AS n
        FROM sources s LEFT JOIN subscriptions sub ON sub.source_id = s.id GROUP BY s.slug`),
    ])
    metrics.retryQueueDepth.set(retries)
    metrics.dlqDepth.set(held.dead)
    metrics.pausedDepth.set(held.paused)
    metrics.activeSubscriptions.reset()
    for (const s of subs) metrics.activeSubscriptions.set({ source: s.slug }, s.n)
    for (const [stream, group] of [[keys.events, FANOUT_GROUP], [keys.deliveries, DELIVER_GROUP]] as const) {
      const info = await groupInfo(redis, stream, group)
      const name = stream.slice(stream.indexOf('relay:'))
      metrics.streamLag.set({ stream: name, group }, info?.lag ?? 0)
      metrics.streamPending.set({ stream: name, group }, info?.pending ?? 0)
    }
  }
}
