// What the worker-task tests share: an api relay (no worker, so nothing else claims),
// a source with one subscription, pending deliveries made by hand, and their entries
// read from the deliveries stream by a consumer of the test's own, as a worker reads them.
import { createFanout } from '../../src/delivery/transitions.ts'
import type { StreamEntry } from '../../src/queue/entries.ts'
import { toEntries } from '../../src/queue/entries.ts'
import { DELIVER_GROUP } from '../../src/redis/keys.ts'
import { type TestEnv, type TestRelay } from '../../src/testing/index.ts'
import { ensureGroup } from '../../src/worker/stream-consumer.ts'
import { createCoreTestEnv } from '../env.ts'

export interface TaskFixture {
  env: TestEnv
  relay: TestRelay
  subscriptionId: string
  /** A new pending delivery of a new event. */
  delivery(): Promise<string>
  /** Adds one entry per id and reads them as `consumer`. */
  entries(ids: readonly string[], consumer?: string): Promise<StreamEntry[]>
  /** Entries read but not acked. */
  pending(): Promise<number>
  close(): Promise<void>
}

export async function taskFixture(name: string, subscriptionConfig: Record<string, unknown> = { url: 'http://127.0.0.1:9/x' }): Promise<TaskFixture> {
  const env = await createCoreTestEnv(name)
  const relay = await env.start('api')
  const { db, redis, keys } = relay.services
  const source = (await relay.api('/api/v1/sources', { body: { name, slug: name.replaceAll('_', '-') } })).body
  const sub = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: subscriptionConfig } })).body
  await ensureGroup(redis, keys.deliveries, DELIVER_GROUP)
  return {
    env,
    relay,
    subscriptionId: sub.id,
    async delivery() {
      const res = await fetch(`${relay.url}/in/${source.slug}`, { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json' } })
      const { eventId } = (await res.json()) as { eventId: string }
      return (await createFanout(db, [eventId])).deliveries[0]!.id
    },
    async entries(ids, consumer = 'test-worker') {
      for (const id of ids) await redis.xadd(keys.deliveries, '*', 'd', id)
      const res = (await redis.xreadgroup('GROUP', DELIVER_GROUP, consumer, 'COUNT', 1000, 'STREAMS', keys.deliveries, '>')) as [string, [string, string[]][]][] | null
      return toEntries(res?.[0]?.[1])
    },
    async pending() {
      const summary = (await redis.xpending(keys.deliveries, DELIVER_GROUP)) as [number, ...unknown[]]
      return Number(summary[0])
    },
    close: () => env.close(),
  }
}
