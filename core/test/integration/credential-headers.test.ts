// Credentials stay secret on read: the sender's own credential headers on stored events
// are masked in the API and transform previews (unless configured to show), and
// http-relay's configured headers are sealed at rest, masked on read, sent whole.
import t from 'tap'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('credential_headers')
t.teardown(() => env.close())
const relay = await env.start('all')
const sub = await startSubscriber()
t.teardown(() => sub.close())

const SENT = { authorization: 'Bearer sender-token', cookie: 'session=abc', 'x-api-key': 'k1', 'proxy-authorization': 'Basic eA==', 'x-shopify-access-token': 'shpat_1', 'x-custom': 'visible' }
const source = (await relay.api('/api/v1/sources', { body: { name: 'C', slug: 'c', mode: 'record' } })).body
const eventId = ((await (await fetch(`${relay.url}/in/c`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', ...SENT } })).json()) as { eventId: string }).eventId

t.test('the API shows the sender’s credential headers masked, the others as sent', async (t) => {
  const ev = (await relay.api(`/api/v1/events/${eventId}`)).body
  for (const h of ['authorization', 'cookie', 'x-api-key', 'proxy-authorization', 'x-shopify-access-token']) t.equal(ev.headers[h], '********', `${h} masked`)
  t.equal(ev.headers['x-custom'], 'visible')
  const list = (await relay.api(`/api/v1/events?sourceId=${source.id}`)).body
  t.equal(list.items[0].headers.authorization, '********', 'in the list too')
  const [stored] = await env.query<{ headers: Record<string, string> }>('SELECT headers FROM events WHERE id = $1', [eventId])
  t.equal(stored!.headers.authorization, 'Bearer sender-token', 'the stored event keeps them whole')
})

t.test('a transform preview of the event sees them masked too', async (t) => {
  const r = await relay.api('/api/v1/transforms/test', { body: { eventId, code: 'function transform(event) { return event.headers }' } })
  t.equal(r.status, 200, JSON.stringify(r.body).slice(0, 200))
  t.notOk(JSON.stringify(r.body).includes('sender-token'), 'the credential does not come out of a preview')
})

t.test('RELAY_EVENT_CREDENTIAL_HEADERS=show shows them', async (t) => {
  const showing = await env.start('api', { RELAY_EVENT_CREDENTIAL_HEADERS: 'show' })
  t.equal((await showing.api(`/api/v1/events/${eventId}`)).body.headers.authorization, 'Bearer sender-token')
  await showing.stop()
})

t.test('http-relay headers: sealed in the database, masked by the API, sent whole, kept through a masked edit', async (t) => {
  const active = (await relay.api('/api/v1/sources', { body: { name: 'A', slug: 'a' } })).body
  const created = await relay.api('/api/v1/subscriptions', {
    body: { sourceId: active.id, action: 'http-relay', config: { url: `${sub.url}/h`, headers: { Authorization: 'Bearer receiver-token', 'X-Team': 'blue' } } },
  })
  t.equal(created.status, 201)
  t.same(created.body.config.headers, { Authorization: '********', 'X-Team': '********' }, 'masked in the answer')
  const [row] = await env.query<{ config: string }>('SELECT config::text AS config FROM subscriptions WHERE id = $1', [created.body.id])
  t.notOk(row!.config.includes('receiver-token'), 'not in clear in the database')
  // An edit that sends the masked form back keeps the values.
  const edited = await relay.api(`/api/v1/subscriptions/${created.body.id}`, { method: 'PATCH', body: { config: { ...created.body.config, url: `${sub.url}/h2` } } })
  t.equal(edited.status, 200)
  await fetch(`${relay.url}/in/a`, { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json' } })
  const got = await eventually(() => sub.requests.find((r) => r.path === '/h2'), 'the delivery')
  t.equal(got.headers.authorization, 'Bearer receiver-token', 'sent whole')
  t.equal(got.headers['x-team'], 'blue')
})
