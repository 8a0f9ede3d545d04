// opsgenie through a real relay: config validated and its API key sealed at create, a
// 5xx retried with the same alias, a 429's Retry-After honoured, a later webhook closing
// the alert, Opsgenie's 422 dead-lettered with its errors as the reason, and the key
// masked in the API and the attempt log.
import t from 'tap'
import { createTestEnv, pluginSource, startTestReceiver } from '@webhook-relay/core/testing'
import { opsgenie, throttled, unprocessable } from './opsgenie-api.ts'

const API_KEY = 'eb243592-faa2-4ba2-a551-1afdf565c889'

const env = await createTestEnv('opsgenie', { RELAY_PLUGINS: '@webhook-relay/plugin-opsgenie' })
t.teardown(() => env.close())
const relay = await env.start('all')
const api = opsgenie(API_KEY)
const og = await startTestReceiver(api.handler)
t.teardown(() => og.close())

const { subscribe, send, settled } = await pluginSource(relay, { action: 'opsgenie', slug: 'alerts' })

const created = await subscribe({
  apiKey: API_KEY,
  baseUrl: og.url,
  action: "{{ 'close' if payload.state == 'up' else 'create' }}",
  alias: '{{ payload.check }}-{{ payload.host }}',
  message: '{{ payload.check }} failed on {{ payload.host }}',
  priority: 'P2',
  tags: ['{{ payload.check }}'],
})
if (created.status !== 201) throw new Error(JSON.stringify(created.body))
const subscription = created.body

t.test('an invalid config is refused at create', async (t) => {
  t.equal((await subscribe({ apiKey: 'short' })).status, 400)
  t.equal((await subscribe({ apiKey: API_KEY, region: 'apac' })).status, 400)
})

t.test('the API key is sealed at rest and masked by the API', async (t) => {
  t.equal((await relay.api(`/api/v1/subscriptions/${subscription.id}`)).body.config.apiKey, '********')
  const [row] = await env.query<{ config: string }>('SELECT config::text FROM subscriptions WHERE id = $1', [subscription.id])
  t.notMatch(row!.config, API_KEY)
})

t.test('a 5xx is retried with the same alias, then the alert is created; a later webhook closes it', async (t) => {
  og.expect({ status: 500, body: { message: 'Internal error', took: 0, requestId: 'r-500' } })
  const before = og.requests.length
  const eventId = await send('{"check":"disk","host":"db-1","state":"down"}')
  const d = await settled(eventId, 'succeeded')
  t.equal(d.attemptCount, 2)
  const sent = og.requests.slice(before)
  t.same(sent.map((r) => JSON.parse(r.body.toString()).alias), ['disk-db-1', 'disk-db-1'], 'the alias dedupes the retry')
  t.match(JSON.parse(sent[1]!.body.toString()), { message: 'disk failed on db-1', priority: 'P2', source: 'alerts', tags: ['disk'] })
  t.ok(sent.every((r) => r.headers.authorization === `GenieKey ${API_KEY}`), 'the key is sent to Opsgenie')
  t.match(api.alerts.get('disk-db-1'), { status: 'open', count: 1 })

  const detail = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
  t.same(detail.attempts.map((a: { responseStatus: number }) => a.responseStatus), [500, 202])
  t.equal(detail.attempts[1].request.headers.authorization, '********')
  t.notMatch(JSON.stringify(detail), API_KEY, 'the attempt log does not show the API key')
  const rows = await env.query<{ row: string }>('SELECT a::text AS row FROM delivery_attempts a WHERE delivery_id = $1', [d.id])
  t.equal(rows.length, 2)
  for (const { row } of rows) t.notMatch(row, API_KEY, 'nor does the stored attempt')

  const closeId = await send('{"check":"disk","host":"db-1","state":"up"}')
  await settled(closeId, 'succeeded')
  t.equal(og.requests.at(-1)!.url, '/v2/alerts/disk-db-1/close?identifierType=alias')
  t.match(api.alerts.get('disk-db-1'), { status: 'closed' })
})

t.test('a 429 is retried after its Retry-After', async (t) => {
  og.expect({ ...throttled, headers: { ...throttled.headers, 'retry-after': '1' } })
  const eventId = await send('{"check":"cpu","host":"db-3","state":"down"}')
  const d = await settled(eventId, 'succeeded')
  const detail = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
  t.same(detail.attempts.map((a: { responseStatus: number }) => a.responseStatus), [429, 202])
  const [first, second] = detail.attempts as { startedAt: string }[]
  t.ok(Date.parse(second!.startedAt) - Date.parse(first!.startedAt) >= 900, 'waited about the second Opsgenie asked for')
})

t.test('Opsgenie’s 422 is permanent: dead at once with its errors as the reason', async (t) => {
  og.expect(unprocessable({ message: 'Message can not be longer than 130 characters.' }))
  const eventId = await send('{"check":"mem","host":"db-2","state":"down"}')
  const d = await settled(eventId, 'dead')
  t.equal(d.attemptCount, 1)
  const detail = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
  t.equal(detail.deadReason, 'permanent')
  t.equal(detail.lastError, 'HTTP 422 Unprocessable Entity: Request body is not processable. Please check the errors.; message: Message can not be longer than 130 characters.')
})
