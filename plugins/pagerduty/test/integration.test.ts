// pagerduty through a real relay: config validated and its routing key sealed at
// create, a 5xx retried with the same dedup key, PagerDuty's 400 dead-lettered with its
// errors as the reason, and the key masked in the API and the attempt log.
import t from 'tap'
import { createTestEnv, pluginSource, startTestReceiver } from '@webhook-relay/core/testing'
import { invalidEvent, pagerDuty } from './pagerduty-api.ts'

const ROUTING_KEY = 'R0123456789abcdef0123456789ABCDE'

const env = await createTestEnv('pagerduty', { RELAY_PLUGINS: '@webhook-relay/plugin-pagerduty' })
t.teardown(() => env.close())
const relay = await env.start('all')
const pd = await startTestReceiver(pagerDuty)
t.teardown(() => pd.close())

const { subscribe, send, settled } = await pluginSource(relay, { action: 'pagerduty', slug: 'alerts' })

const created = await subscribe({
  routingKey: ROUTING_KEY,
  url: `${pd.url}/v2/enqueue`,
  summary: '{{ payload.check }} failed on {{ payload.host }}',
  severity: 'critical',
})
if (created.status !== 201) throw new Error(JSON.stringify(created.body))
const subscription = created.body

t.test('an invalid config is refused at create', async (t) => {
  const r = await subscribe({ routingKey: 'too-short' })
  t.equal(r.status, 400)
})


t.test('the routing key is sealed at rest and masked by the API', async (t) => {
  t.equal((await relay.api(`/api/v1/subscriptions/${subscription.id}`)).body.config.routingKey, '********')
  const [row] = await env.query<{ config: string }>('SELECT config::text FROM subscriptions WHERE id = $1', [subscription.id])
  t.notMatch(row!.config, ROUTING_KEY)
})

t.test('a 5xx is retried with the same dedup key, then the alert is triggered', async (t) => {
  pd.expect({ status: 500, body: 'internal error' })
  const before = pd.requests.length
  const eventId = await send('{"check":"disk","host":"db-1"}')
  const d = await settled(eventId, 'succeeded')
  t.equal(d.attemptCount, 2)
  const events = pd.requests.slice(before).map((r) => JSON.parse(r.body.toString()))
  t.same(events.map((e) => e.dedup_key), [eventId, eventId], 'the event id dedupes the retry')
  t.match(events[1], { routing_key: ROUTING_KEY, event_action: 'trigger', payload: { summary: 'disk failed on db-1', severity: 'critical', source: 'alerts' } })
  const detail = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
  t.same(detail.attempts.map((a: { responseStatus: number }) => a.responseStatus), [500, 202])
  t.notMatch(JSON.stringify(detail), ROUTING_KEY, 'the attempt log does not show the routing key')
})

t.test('PagerDuty’s 400 is permanent: dead at once with its errors as the reason', async (t) => {
  pd.expect(invalidEvent(["'payload.summary' is too long"]))
  const eventId = await send('{"check":"cpu","host":"db-2"}')
  const d = await settled(eventId, 'dead')
  t.equal(d.attemptCount, 1)
  const detail = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
  t.equal(detail.deadReason, 'permanent')
  t.equal(detail.lastError, "HTTP 400 Bad Request: Event object is invalid; 'payload.summary' is too long")
})
