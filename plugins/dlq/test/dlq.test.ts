// The dead-letter queue as an operator sees it, through a real relay: what lands there
// (exhausted and permanent, with last error and attempts), filters and paging, replay
// (same webhook-id, fresh attempt count, reaches the subscriber), replay-many, discard.
import t from 'tap'
import { createTestEnv, eventually, startSubscriber, type SubscriberReply } from '@webhook-relay/core/testing'

const env = await createTestEnv('dlq', { RELAY_PLUGINS: '@webhook-relay/plugin-http-relay,@webhook-relay/plugin-dlq' })
t.teardown(() => env.close())
const relay = await env.start('all')

// /down answers 503 until `healed` has the path; /bad answers 400 until then.
const healed = new Set<string>()
const sub = await startSubscriber((req): SubscriberReply => {
  if (healed.has(req.path)) return {}
  if (req.path.startsWith('/down')) return { status: 503, body: 'upstream down' }
  if (req.path.startsWith('/bad')) return { status: 400, body: '{"error":"schema mismatch"}' }
  return {}
})
t.teardown(() => sub.close())

let n = 0
async function subscription(path: string) {
  const slug = `dlq${++n}`
  const source = (await relay.api('/api/v1/sources', { body: { name: slug, slug } })).body
  const s = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}${path}` } } })).body
  return { slug, sourceId: source.id as string, subscriptionId: s.id as string }
}
async function send(slug: string, body: string): Promise<string> {
  const res = await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  return ((await res.json()) as { eventId: string }).eventId
}
async function deadDeliveryOf(eventId: string): Promise<string> {
  return eventually(async () => {
    const d = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries[0]
    return d?.status === 'dead' ? (d.id as string) : null
  }, `the delivery of ${eventId} to go dead`, 15_000)
}
const list = async (query = '') => (await relay.api(`/api/v1/dead-letters${query}`)).body

const down = await subscription('/down')
const bad = await subscription('/bad')
const exhaustedId = await deadDeliveryOf(await send(down.slug, '{"n":1}'))
const permanentId = await deadDeliveryOf(await send(bad.slug, '{"n":2}'))

t.test('exhausted and permanent failures appear with their last error and attempts', async (t) => {
  const exhausted = (await relay.api(`/api/v1/dead-letters/${exhaustedId}`)).body
  t.match(exhausted, { deliveryId: exhaustedId, reason: 'exhausted', lastError: /503/, attemptCount: 3, sourceId: down.sourceId, action: 'http-relay' })
  t.same(exhausted.attempts.map((a: { status: string; responseStatus: number }) => [a.status, a.responseStatus]), [['retry', 503], ['retry', 503], ['retry', 503]])
  t.equal(exhausted.attempts[2].response.body, 'upstream down', 'the response body of the last attempt is there to read')
  const permanent = (await relay.api(`/api/v1/dead-letters/${permanentId}`)).body
  t.match(permanent, { reason: 'permanent', lastError: /400/, attemptCount: 1 })
  t.equal(permanent.attempts.length, 1)
  const missing = await relay.api('/api/v1/dead-letters/00000000-0000-4000-8000-000000000000')
  t.match(missing, { status: 404, body: { code: 'RELAY_ERR_DEAD_LETTER_NOT_FOUND' } })
  t.equal((await relay.api('/api/v1/dead-letters', { headers: { authorization: 'Bearer wrong' } })).status, 401, 'behind the admin token')
})

t.test('filters: source, subscription, reason, time range; paging with a cursor', async (t) => {
  const all = await list()
  t.same(all.items.map((d: { deliveryId: string }) => d.deliveryId), [permanentId, exhaustedId], 'newest first')
  t.same((await list(`?sourceId=${down.sourceId}`)).items.map((d: { deliveryId: string }) => d.deliveryId), [exhaustedId])
  t.same((await list(`?subscriptionId=${bad.subscriptionId}`)).items.map((d: { deliveryId: string }) => d.deliveryId), [permanentId])
  t.same((await list('?reason=exhausted')).items.map((d: { deliveryId: string }) => d.deliveryId), [exhaustedId])
  const permanentAt = all.items[0].deadAt as string
  t.same((await list(`?since=${encodeURIComponent(permanentAt)}`)).items.map((d: { deliveryId: string }) => d.deliveryId), [permanentId])
  t.same((await list(`?until=${encodeURIComponent(permanentAt)}`)).items.map((d: { deliveryId: string }) => d.deliveryId), [exhaustedId])
  const first = await list('?limit=1')
  t.equal(first.items.length, 1)
  t.type(first.nextBefore, 'string')
  const second = await list(`?limit=1&before=${encodeURIComponent(first.nextBefore)}`)
  t.same(second.items.map((d: { deliveryId: string }) => d.deliveryId), [exhaustedId], 'the second page has the older one')
  t.equal((await list(`?limit=2&before=${encodeURIComponent(second.nextBefore)}`)).items.length, 0)
  t.equal((await relay.api('/api/v1/dead-letters?before=garbage')).status, 400)
  t.equal((await relay.api('/api/v1/dead-letters?reason=bored')).status, 400)
})

t.test('replay one: same webhook-id, fresh attempt count, reaches the subscriber', async (t) => {
  const webhookId = sub.to('/down')[0]!.headers['webhook-id']
  healed.add('/down')
  const r = await relay.api(`/api/v1/dead-letters/${exhaustedId}/replay`, { method: 'POST' })
  t.equal(r.status, 202)
  await eventually(async () => (await relay.api(`/api/v1/deliveries/${exhaustedId}`)).body.status === 'succeeded', 'the replay to succeed')
  const d = (await relay.api(`/api/v1/deliveries/${exhaustedId}`)).body
  t.equal(d.attemptCount, 1, 'the attempt count started fresh')
  t.equal(d.attempts.length, 4, 'the history keeps the three failed attempts')
  const last = sub.to('/down').at(-1)!
  t.equal(last.headers['webhook-id'], webhookId, 'the subscriber can dedupe on the same webhook-id')
  t.equal(last.body.toString(), '{"n":1}')
  t.equal((await relay.api(`/api/v1/dead-letters/${exhaustedId}`)).status, 404, 'no longer in the queue')
  t.equal((await relay.api(`/api/v1/dead-letters/${exhaustedId}/replay`, { method: 'POST' })).status, 404, 'replaying twice is refused')
})

t.test('replay many by filter, bounded, with counts', async (t) => {
  const many = await subscription('/down-many')
  const ids = []
  for (let i = 0; i < 3; i++) ids.push(await deadDeliveryOf(await send(many.slug, `{"many":${i}}`)))
  healed.add('/down-many')
  const first = await relay.api('/api/v1/dead-letters/replay', { body: { subscriptionId: many.subscriptionId, limit: 2 } })
  t.same(first, { status: 202, body: { replayed: 2, remaining: 1 } })
  const second = await relay.api('/api/v1/dead-letters/replay', { body: { subscriptionId: many.subscriptionId } })
  t.same(second.body, { replayed: 1, remaining: 0 })
  await eventually(() => sub.to('/down-many').filter((r) => r.body.toString().startsWith('{"many"')).length === 12, 'nine failed attempts and three replays')
  const bodies = sub.to('/down-many').slice(-3).map((r) => r.body.toString())
  t.same(bodies.sort(), ['{"many":0}', '{"many":1}', '{"many":2}'])
  t.ok((await list()).items.every((d: { subscriptionId: string }) => d.subscriptionId !== many.subscriptionId), 'none of them left')
  t.same((await relay.api('/api/v1/dead-letters/replay', { body: { subscriptionId: many.subscriptionId } })).body, { replayed: 0, remaining: 0 })
  t.equal((await relay.api('/api/v1/dead-letters/replay', { body: { limit: 5000 } })).status, 400, 'the bound is enforced')
})

t.test('discard: the dead letter goes, the delivery is kept as discarded', async (t) => {
  const r = await relay.api(`/api/v1/dead-letters/${permanentId}`, { method: 'DELETE' })
  t.equal(r.status, 204)
  t.equal((await relay.api(`/api/v1/dead-letters/${permanentId}`)).status, 404)
  const d = (await relay.api(`/api/v1/deliveries/${permanentId}`)).body
  t.equal(d.status, 'discarded')
  t.equal(d.attempts.length, 1, 'its history stays')
  t.equal((await relay.api(`/api/v1/dead-letters/${permanentId}`, { method: 'DELETE' })).status, 404)
  t.equal((await relay.api(`/api/v1/deliveries/${permanentId}/retry`, { method: 'POST' })).status, 409, 'a discarded delivery is final')
  const metrics = await (await fetch(`${relay.metricsUrl}/metrics`)).text()
  t.match(metrics, /^dlq_depth 0$/m, 'dlq_depth counts what is left')
})
