// Retention by partition: expired time ranges are dropped whole, unfinished work is kept
// (moved to DEFAULT) and finished later, replays leave with their event, and rows that
// had no partition are moved into the one created for them. The clock is moved forward
// by passing `now` to maintainStorage; the partitions are real.
import t from 'tap'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { addPartition, listPartitions } from '../../src/store/partitions.ts'
import { insertEvents } from '../../src/store/events.ts'
import { newId } from '../../src/store/ids.ts'
import { maintainStorage, START_MARGIN_MS } from '../../src/worker/retention.ts'
import { createCoreTestEnv } from '../env.ts'

const MIN = 60_000
const policy = { retentionMs: 60 * MIN, partitionIntervalMs: 10 * MIN }
const env = await createCoreTestEnv('retention')
t.teardown(() => env.close())
// Retries every second for a minute: the held delivery stays retrying through the test.
const relay = await env.start('all', { RELAY_RETENTION: '1h', RELAY_PARTITION_INTERVAL: '10m', RELAY_RETRY_SCHEDULE: Array(60).fill('1s').join(',') })
const db = relay.services.db
const sub = await startSubscriber((req) => (req.path === '/down' ? { status: 503 } : {}))
t.teardown(() => sub.close())

const count = async (sql: string, values?: unknown[]) => Number((await env.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, values))[0]!.n)

t.test('the worker creates partitions ahead of the clock at boot', async (t) => {
  await eventually(async () => (await listPartitions(db)).length >= 2, 'partitions created')
  const first = (await listPartitions(db))[0]!
  const now = Date.now()
  t.ok(first.lower_at > now && first.lower_at <= now + START_MARGIN_MS, 'the first starts just ahead (never over rows being inserted)')
  t.ok((await listPartitions(db)).at(-1)!.upper_at > now + 10 * MIN, 'and the next range exists too')
  // As on an install that has run for a while: a partition covers now as well.
  await addPartition(db, first.lower_at - 10 * MIN, first.lower_at)
  const parts = await listPartitions(db)
  t.ok(parts.some((p) => p.lower_at <= now && now < p.upper_at), 'one covers now')
  for (const table of ['events', 'deliveries', 'delivery_attempts', 'dead_letters']) {
    t.equal(await count(`pg_inherits WHERE inhparent = '${table}'::regclass`), parts.length + 1, `${table}: the same ranges plus DEFAULT`)
  }
})

t.test('expired ranges go whole; unfinished work stays until it finishes', async (t) => {
  // This test moves the clock itself: the worker's own maintenance keeps out meanwhile.
  await relay.services.redis.set(relay.services.keys.retentionLock, 'test', 'PX', 600_000)
  const source = (await relay.api('/api/v1/sources', { body: { name: 'R', slug: 'r' } })).body
  const ok = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/ok` } } })).body
  const send = async (key: string) =>
    ((await (await fetch(`${relay.url}/in/r`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'idempotency-key': key } })).json()) as { eventId: string }).eventId
  const done = await send('done')
  await eventually(async () => (await count("deliveries WHERE status = 'succeeded'")) === 1, 'delivered')
  const replay = await relay.api(`/api/v1/events/${done}/replay`, { method: 'POST', body: { subscriptionId: ok.id } })
  t.equal(replay.status, 202, 'replayed')
  await eventually(async () => (await count("deliveries WHERE status = 'succeeded'")) === 2, 'replay delivered')

  await relay.api(`/api/v1/subscriptions/${ok.id}`, { method: 'PATCH', body: { config: { url: `${sub.url}/down` } } })
  await new Promise((r) => setTimeout(r, 2100)) // past the worker's subscription cache
  const held = await send('held')
  await eventually(async () => (await count("deliveries WHERE status = 'retrying'")) === 1, 'one retrying')
  t.equal(await count('events_default'), 0, 'everything so far is in range partitions')

  const later = Date.now() + 60 * MIN + 20 * MIN
  const run = await maintainStorage(db, policy, later)
  t.ok(run.retired.length >= 1, `retired ${run.retired.join(', ')}`)
  t.equal(run.kept, 1, 'one event kept back')
  t.equal(await count('events WHERE id = $1', [done]), 0, 'the finished event went')
  t.equal(await count('deliveries WHERE event_id = $1', [done]), 0, 'with its delivery and its replay')
  t.equal(await count('delivery_attempts'), await count("delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1", [held]), 'and their attempts')
  t.equal(await count('events_default WHERE id = $1', [held]), 1, 'the retrying event is kept, in DEFAULT')
  t.equal(await count("deliveries_default WHERE event_id = $1 AND status = 'retrying'", [held]), 1, 'with its delivery')
  t.ok((await count('delivery_attempts_default')) >= 1, 'and its attempts')
  t.equal(await count("event_idempotency WHERE idempotency_key = 'done'"), 0, 'the finished event’s key went')
  t.equal(await count("event_idempotency WHERE idempotency_key = 'held'"), 1, 'the kept event’s key stayed')

  // The kept delivery still works from DEFAULT: let it succeed.
  await relay.api(`/api/v1/subscriptions/${ok.id}`, { method: 'PATCH', body: { config: { url: `${sub.url}/ok` } } })
  await eventually(async () => (await count("deliveries WHERE event_id = $1 AND status = 'succeeded'", [held])) === 1, 'the kept one delivered', 15_000)
  const again = await maintainStorage(db, policy, later)
  t.equal(again.prunedEvents, 1, 'once finished, it is pruned from DEFAULT')
  t.equal(await count('events_default') + (await count('deliveries_default')) + (await count('delivery_attempts_default')), 0, 'DEFAULT is empty again')
  t.equal(await count("event_idempotency WHERE idempotency_key = 'held'"), 0, 'with its key')
})

t.test('a row with no partition (a clock ahead) lands in DEFAULT and moves into the partition made for its range', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'F', slug: 'f', mode: 'record' } })).body
  const future = Date.now() + 3 * 86_400_000
  const id = newId().replace(/^[0-9a-f]{8}-[0-9a-f]{4}/, () => {
    const hex = future.toString(16).padStart(12, '0')
    return `${hex.slice(0, 8)}-${hex.slice(8)}`
  })
  await insertEvents(db, [{ id, sourceId: source.id, receivedAt: future, contentType: null, headers: {}, body: Buffer.from('x'), idempotencyKey: null, fanoutStatus: 'recorded' }])
  t.equal(await count('events_default WHERE id = $1', [id]), 1, 'stored, in DEFAULT')
  // The worker's clock catches up to a few minutes before that row's time.
  const run = await maintainStorage(db, policy, future - 5 * MIN)
  t.ok(run.added.length >= 1)
  t.equal(await count('events_default'), 0, 'moved out of DEFAULT')
  t.equal(await count('events WHERE id = $1', [id]), 1, 'still there')
  const parts = await listPartitions(db)
  t.ok(parts.some((p) => p.lower_at <= future && future < p.upper_at), 'a partition covers it')
})

t.test('deleting a subscription deletes its deliveries with their attempts and dead letters (no foreign keys do it)', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'D', slug: 'd' } })).body
  const doomed = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/ok` } } })).body
  await fetch(`${relay.url}/in/d`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  await eventually(async () => (await count("deliveries WHERE subscription_id = $1 AND status = 'succeeded'", [doomed.id])) === 1, 'delivered')
  const [d] = await env.query<{ id: string }>('SELECT id FROM deliveries WHERE subscription_id = $1', [doomed.id])
  await env.query("INSERT INTO dead_letters (delivery_id, reason) VALUES ($1, 'exhausted')", [d!.id])
  t.equal((await relay.api(`/api/v1/subscriptions/${doomed.id}`, { method: 'DELETE' })).status, 204)
  t.equal(await count('deliveries WHERE id = $1', [d!.id]), 0)
  t.equal(await count('delivery_attempts WHERE delivery_id = $1', [d!.id]), 0, 'no orphaned attempts')
  t.equal(await count('dead_letters WHERE delivery_id = $1', [d!.id]), 0, 'no orphaned dead letters')
  // And a source: its subscriptions, deliveries, attempts, keys.
  const other = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/ok` } } })).body
  await fetch(`${relay.url}/in/d`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'idempotency-key': 'src-key' } })
  await eventually(async () => (await count("deliveries WHERE subscription_id = $1 AND status = 'succeeded'", [other.id])) === 1, 'delivered')
  t.equal((await relay.api(`/api/v1/sources/${source.id}`, { method: 'DELETE' })).status, 204)
  t.equal(await count('delivery_attempts a WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)'), 0, 'no orphaned attempts anywhere')
  t.equal(await count('event_idempotency WHERE source_id = $1', [source.id]), 0, 'its keys')
})
