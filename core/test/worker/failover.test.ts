// Failover task on real Redis: a dead worker (in the workers set, liveness key gone) has
// its pending entries taken over and handed on with its name; a live worker and a worker
// of an older version (no key, not in the set) keep theirs.
import pino from 'pino'
import t from 'tap'
import { createMetrics } from '../../src/metrics/metrics.ts'
import type { StreamEntry } from '../../src/queue/entries.ts'
import { keys as relayKeys } from '../../src/redis/keys.ts'
import { createRedis } from '../../src/redis/client.ts'
import { startFailover } from '../../src/worker/failover.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('failover_task')
t.teardown(() => env.close())
const redis = createRedis(env.env.REDIS_URL!, 'failover-test')
t.teardown(() => redis.disconnect())
const keys = relayKeys(env.redisPrefix)
const GROUP = 'deliver'
await redis.xgroup('CREATE', keys.deliveries, GROUP, '0', 'MKSTREAM')

/** `n` entries read (and left pending) by `consumer`. */
async function pendingFor(consumer: string, n: number) {
  for (let i = 0; i < n; i++) await redis.xadd(keys.deliveries, '*', 'd', `${consumer}-${i}`)
  await redis.xreadgroup('GROUP', GROUP, consumer, 'COUNT', n, 'STREAMS', keys.deliveries, '>')
}
const pendingOf = async (consumer: string) => ((await redis.xpending(keys.deliveries, GROUP, '-', '+', 100, consumer)) as unknown[]).length

await pendingFor('dead-worker', 3)
await redis.sadd(keys.workers, 'dead-worker')
await pendingFor('live-worker', 2)
await redis.sadd(keys.workers, 'live-worker')
await redis.set(keys.alive + 'live-worker', '1', 'PX', 60_000)
await pendingFor('old-version-worker', 2)

const handed: { entries: StreamEntry[]; from: readonly string[] }[] = []
const failover = startFailover({
  redis,
  keys,
  consumer: 'survivor',
  metrics: createMetrics({ role: 'worker', version: 'test', defaultMetrics: false }),
  log: pino({ level: 'silent' }),
  intervalMs: 60_000,
  streams: [{ stream: keys.deliveries, group: GROUP, capacity: () => 100, handle: async (entries, from) => void handed.push({ entries, from }) }],
})
t.teardown(() => failover.stop())

t.test('the dead worker’s entries go to the survivor, with its name', async (t) => {
  t.equal(await failover.tick(), 3)
  t.equal(handed.length, 1)
  t.same(handed[0]!.from, ['dead-worker'])
  t.same(handed[0]!.entries.map((e) => e.fields.d).sort(), ['dead-worker-0', 'dead-worker-1', 'dead-worker-2'])
  t.equal(await pendingOf('survivor'), 3, 'now pending for the survivor, which acks them as it handles them')
  const consumers = ((await redis.xinfo('CONSUMERS', keys.deliveries, GROUP)) as string[][]).map((c) => c[1])
  t.notOk(consumers.includes('dead-worker'), 'the dead consumer left the group')
  t.equal(await redis.sismember(keys.workers, 'dead-worker'), 0, 'and the workers set')
})

t.test('a live worker and an older worker without liveness keep their entries', async (t) => {
  t.equal(await failover.tick(), 0)
  t.equal(await pendingOf('live-worker'), 2)
  t.equal(await pendingOf('old-version-worker'), 2, 'not in the workers set: left to the idle-time reclaim')
})

t.test('a worker whose key lapses later is taken over on the next check', async (t) => {
  await redis.del(keys.alive + 'live-worker')
  t.equal(await failover.tick(), 2)
  t.same(handed.at(-1)!.from, ['live-worker'])
})
