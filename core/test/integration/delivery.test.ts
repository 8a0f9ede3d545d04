// Delivery as a subscriber sees it: fan-out, signatures, retries and their timing,
// Retry-After, permanent failures, 410, exhaustion to dead, retry now.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { eventually, startSubscriber, type SubscriberReply } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('delivery')
t.teardown(() => env.close())
const relay = await env.start('all')

// Paths script the subscriber: /ok, /flaky (500 twice then 200), /slowdown (429 + Retry-After: 1 once),
// /bad (400), /gone (410), /down (always 503).
const sub = await startSubscriber((req, nth): SubscriberReply => {
  switch (req.path) {
    case '/flaky':
      return nth <= 2 ? { status: 500, body: 'boom' } : {}
    case '/slowdown':
      return nth === 1 ? { status: 429, headers: { 'retry-after': '1' } } : {}
    case '/bad':
      return { status: 400, body: '{"error":"invalid"}' }
    case '/gone':
      return { status: 410 }
    case '/down':
      return { status: 503 }
    default:
      return {}
  }
})
t.teardown(() => sub.close())

let n = 0
async function sourceWith(paths: string[]) {
  const slug = `s${++n}`
  const source = (await relay.api('/api/v1/sources', { body: { name: slug, slug } })).body
  const subs = []
  for (const p of paths) {
    const r = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}${p}` } } })
    if (r.status !== 201) throw new Error(JSON.stringify(r.body))
    subs.push(r.body)
  }
  return { source, subs, slug }
}
const send = async (slug: string, body = '{"hello":"world"}') => {
  const res = await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  return ((await res.json()) as { eventId: string }).eventId
}
const deliveriesOf = async (eventId: string) => (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries as { id: string; status: string; attemptCount: number; subscriptionId: string }[]
const settled = (eventId: string, want: string[], count = 1) =>
  eventually(async () => {
    const ds = await deliveriesOf(eventId)
    return ds.length === count && ds.every((d) => want.includes(d.status)) ? ds : null
  }, `${count} deliveries of ${eventId} to reach ${want.join('/')}`, 15_000)

t.test('fan-out: one event reaches every enabled subscription, signed', async (t) => {
  const { slug, subs } = await sourceWith(['/ok', '/ok', '/ok'])
  await relay.api(`/api/v1/subscriptions/${subs[2].id}`, { method: 'PATCH', body: { enabled: false } })
  const before = sub.to('/ok').length
  const eventId = await send(slug, '{"fan":"out"}')
  const ds = await settled(eventId, ['succeeded'], 2)
  t.equal(ds.length, 2, 'the disabled subscription got no delivery')
  t.equal(sub.to('/ok').length - before, 2)
  const got = sub.to('/ok').at(-1)!
  t.equal(got.body.toString(), '{"fan":"out"}', 'the original body is relayed')
  const id = String(got.headers['webhook-id'])
  const ts = String(got.headers['webhook-timestamp'])
  const secretOf = subs.find((s) => ds.some((d) => d.subscriptionId === s.id && `msg_${d.id.replaceAll('-', '')}` === id))
  t.ok(secretOf, 'webhook-id is derived from the delivery id')
  const key = Buffer.from(secretOf.signingSecret.slice('whsec_'.length), 'base64')
  const expected = 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.{"fan":"out"}`).digest('base64')
  t.equal(got.headers['webhook-signature'], expected, 'Standard Webhooks signature verifies with the secret shown at creation')
})

t.test('retry then success: same webhook-id on every attempt, attempts recorded', async (t) => {
  const { slug } = await sourceWith(['/flaky'])
  const eventId = await send(slug)
  const [d] = await settled(eventId, ['succeeded'])
  t.equal(d!.attemptCount, 3)
  const ids = new Set(sub.to('/flaky').map((r) => r.headers['webhook-id']))
  t.equal(ids.size, 1, 'webhook-id is stable across retries')
  const detail = (await relay.api(`/api/v1/deliveries/${d!.id}`)).body
  t.same(detail.attempts.map((a: { status: string; responseStatus: number }) => [a.status, a.responseStatus]), [['retry', 500], ['retry', 500], ['ok', 200]])
  t.equal(detail.attempts[0].response.body, 'boom', 'the response body is recorded')
  const times = sub.to('/flaky').map((r) => r.at)
  t.ok(times[1]! - times[0]! >= 180, `first retry waited the schedule's 200 ms (${times[1]! - times[0]!} ms)`)
})

t.test('429 with Retry-After is honoured', async (t) => {
  const { slug } = await sourceWith(['/slowdown'])
  const eventId = await send(slug)
  await settled(eventId, ['succeeded'])
  const [a, b] = sub.to('/slowdown')
  t.ok(b!.at - a!.at >= 950, `waited ${b!.at - a!.at} ms for Retry-After: 1 (schedule says 200 ms)`)
})

t.test('400 is permanent: dead at once, with a dead letter', async (t) => {
  const { slug } = await sourceWith(['/bad'])
  const eventId = await send(slug)
  const [d] = await settled(eventId, ['dead'])
  t.equal(d!.attemptCount, 1)
  const detail = (await relay.api(`/api/v1/deliveries/${d!.id}`)).body
  t.equal(detail.deadReason, 'permanent')
  t.match(detail.lastError, /400/)
  const rows = await env.query('SELECT reason FROM dead_letters WHERE delivery_id = $1', [d!.id])
  t.same(rows, [{ reason: 'permanent' }])
})

t.test('410 Gone disables the subscription', async (t) => {
  const { slug, subs } = await sourceWith(['/gone'])
  const eventId = await send(slug)
  await settled(eventId, ['dead'])
  const s = (await relay.api(`/api/v1/subscriptions/${subs[0].id}`)).body
  t.equal(s.enabled, false)
  t.match(s.disabledReason, /410/)
  const next = await send(slug)
  await new Promise((r) => setTimeout(r, 300))
  t.same(await deliveriesOf(next), [], 'no new deliveries to a disabled subscription')
})

t.test('exhaustion: retries run out, the delivery is dead and queryable; retry now starts fresh', async (t) => {
  const { slug } = await sourceWith(['/down'])
  const eventId = await send(slug)
  const [d] = await settled(eventId, ['dead'])
  t.equal(d!.attemptCount, 3, 'schedule 200ms,400ms allows 3 attempts')
  const dead = (await relay.api('/api/v1/deliveries?status=dead')).body.items.map((x: { id: string }) => x.id)
  t.ok(dead.includes(d!.id))
  t.equal((await relay.api(`/api/v1/deliveries/${d!.id}`)).body.deadReason, 'exhausted')
  const webhookId = sub.to('/down')[0]!.headers['webhook-id']
  const r = await relay.api(`/api/v1/deliveries/${d!.id}/retry`, { method: 'POST' })
  t.equal(r.status, 202)
  await eventually(async () => (await relay.api(`/api/v1/deliveries/${d!.id}`)).body.attempts.length === 6, 'three more attempts')
  const after = (await relay.api(`/api/v1/deliveries/${d!.id}`)).body
  t.equal(after.status, 'dead')
  t.equal(after.attemptCount, 3, 'attempt count started fresh')
  t.equal(sub.to('/down').at(-1)!.headers['webhook-id'], webhookId, 'a replayed delivery keeps its webhook-id')
})

t.test('events of a record-mode source can be replayed to a subscription later', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'rec', slug: 'rec-replay', mode: 'record' } })).body
  const s = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/replayed` } } })).body
  const eventId = await send('rec-replay', '{"recorded":true}')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(sub.to('/replayed').length, 0, 'record mode does not fan out')
  const r = await relay.api(`/api/v1/events/${eventId}/replay`, { body: { subscriptionId: s.id } })
  t.equal(r.status, 202)
  await eventually(() => sub.to('/replayed').length === 1, 'the replay to arrive')
  t.equal(sub.to('/replayed')[0]!.body.toString(), '{"recorded":true}')
})

t.test('duplicate ingest is not fanned out again', async (t) => {
  const { slug } = await sourceWith(['/dup'])
  const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_same' }
  await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body: '{}', headers })
  await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body: '{}', headers })
  await eventually(() => sub.to('/dup').length === 1, 'one delivery')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(sub.to('/dup').length, 1)
})

t.test('metrics count what happened', async (t) => {
  const text = await (await fetch(`${relay.metricsUrl}/metrics`)).text()
  t.match(text, /deliveries_attempted_total\{source="s\d+",action="http-relay",outcome="retry"\}/)
  t.match(text, /deliveries_dead_total\{source="s\d+",action="http-relay",reason="exhausted"\} 2/)
  t.match(text, /dlq_depth \d+/)
  t.match(text, /stream_lag\{stream="relay:v1:deliveries",group="deliver"\} 0/)
  t.match(text, /active_subscriptions\{source="s1"\} 2/)
})
