// Retention prunes old finished events with their deliveries, and never unfinished work.
import t from 'tap'
import { createTestEnv, eventually, startSubscriber } from '../../src/testing/index.ts'
import { pruneOnce } from '../../src/worker/retention.ts'

const env = await createTestEnv('retention')
t.teardown(() => env.close())
const relay = await env.start('all')
const sub = await startSubscriber((req) => (req.path === '/down' ? { status: 503 } : {}))
t.teardown(() => sub.close())

t.test('old finished events go, unfinished and recent ones stay', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'R', slug: 'r' } })).body
  const ok = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/ok` } } })).body
  const send = async () => ((await (await fetch(`${relay.url}/in/r`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).json()) as { eventId: string }).eventId
  const oldDone = await send()
  const recent = await send()
  await eventually(async () => (await env.query("SELECT 1 FROM deliveries WHERE status = 'succeeded'")).length === 2, 'both delivered')
  await relay.api(`/api/v1/subscriptions/${ok.id}`, { method: 'PATCH', body: { config: { url: `${sub.url}/down` } } })
  await new Promise((r) => setTimeout(r, 2100)) // past the worker's subscription cache
  const oldPending = await send()
  await eventually(async () => (await env.query("SELECT 1 FROM deliveries WHERE status = 'retrying'")).length === 1, 'one retrying')
  await env.query("UPDATE events SET received_at = now() - interval '40 days' WHERE id = ANY($1)", [[oldDone, oldPending]])
  const deleted = await pruneOnce(relay.services.db, 30)
  t.equal(deleted, 1)
  const left = (await env.query<{ id: string }>('SELECT id FROM events')).map((r) => r.id).sort()
  t.same(left, [recent, oldPending].sort(), 'the old finished event went; the old retrying and the recent stayed')
  t.equal((await env.query('SELECT 1 FROM deliveries d WHERE d.event_id = $1', [oldDone])).length, 0, 'its deliveries went with it')
})
