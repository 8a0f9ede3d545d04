import t, { type Test } from 'tap'
import { createRecordingLogger, runAction, startTestReceiver } from '@webhook-relay/core/testing'
import pagerduty from '../src/index.ts'
import { invalidEvent, pagerDuty, throttled } from './pagerduty-api.ts'

const ROUTING_KEY = 'R0123456789abcdef0123456789ABCDE'

/** A PagerDuty stand-in closed (and checked for unexpected requests) when the test ends. */
async function api(t: Test) {
  const r = await startTestReceiver(pagerDuty)
  t.teardown(() => r.close())
  return { r, url: `${r.url}/v2/enqueue` }
}

const sent = (r: { requests: readonly { body: Buffer }[] }, i = 0) => JSON.parse(r.requests[i]!.body.toString('utf8'))

t.test('a trigger with the defaults: dedup key is the event id, payload as custom details', async (t) => {
  const { r, url } = await api(t)
  const receivedAt = new Date('2025-03-04T05:06:07.000Z')
  const body = Buffer.from('{"alert":"disk full","host":"db-1"}')
  const result = await runAction(pagerduty, {
    config: { routingKey: ROUTING_KEY, url },
    event: { id: 'evt-1', sourceSlug: 'monitoring', receivedAt, body },
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  })
  t.match(result, { outcome: 'ok', exchange: { response: { status: 202 } } })
  const req = r.requests[0]!
  t.equal(req.url, '/v2/enqueue')
  t.equal(req.headers['content-type'], 'application/json')
  t.equal(req.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  t.same(sent(r), {
    routing_key: ROUTING_KEY,
    event_action: 'trigger',
    dedup_key: 'evt-1',
    payload: {
      summary: 'monitoring: webhook evt-1',
      source: 'monitoring',
      severity: 'error',
      timestamp: '2025-03-04T05:06:07.000Z',
      custom_details: { alert: 'disk full', host: 'db-1' },
    },
  })
  t.same(JSON.parse(result.exchange!.response!.body!.toString()), { status: 'success', message: 'Event processed', dedup_key: 'evt-1' })
})

t.test('the routing key is masked in the recorded request and never logged', async (t) => {
  const { url } = await api(t)
  const log = createRecordingLogger()
  const result = await runAction(pagerduty, { config: { routingKey: ROUTING_KEY, url }, log })
  const recorded = result.exchange!.request!.body!.toString()
  t.notMatch(recorded, ROUTING_KEY)
  t.equal(JSON.parse(recorded).routing_key, '********')
  t.notMatch(JSON.stringify(log.entries), ROUTING_KEY)
})

t.test('summary, source, severity, component, group, class and dedup key from templates', async (t) => {
  const { r, url } = await api(t)
  const config = {
    routingKey: ROUTING_KEY,
    url,
    summary: '{{ payload.check }} is {{ payload.state | upper }} on {{ payload.host }}',
    source: '{{ payload.host }}',
    severity: "{% if payload.state == 'down' %}critical{% else %}warning{% endif %}",
    component: '{{ payload.check }}',
    group: '{{ event.sourceSlug }}',
    class: 'availability',
    dedupKey: 'check-{{ payload.host }}-{{ payload.check }}',
    customDetails: false,
    client: 'Webhook Relay',
    clientUrl: 'https://relay.example.com/events',
  }
  const body = Buffer.from('{"check":"http","state":"down","host":"web-3"}')
  t.match(await runAction(pagerduty, { config, event: { body, sourceSlug: 'uptime' } }), { outcome: 'ok' })
  t.match(sent(r), {
    dedup_key: 'check-web-3-http',
    client: 'Webhook Relay',
    client_url: 'https://relay.example.com/events',
    payload: { summary: 'http is DOWN on web-3', source: 'web-3', severity: 'critical', component: 'http', group: 'uptime', class: 'availability' },
  })
  t.notOk('custom_details' in sent(r).payload, 'customDetails: false leaves the payload out')
})

t.test('resolve: the eventAction template picks it, and only the key and dedup key are sent', async (t) => {
  const { r, url } = await api(t)
  const config = {
    routingKey: ROUTING_KEY,
    url,
    eventAction: "{{ 'resolve' if payload.state == 'up' else 'trigger' }}",
    dedupKey: 'check-{{ payload.host }}',
  }
  await runAction(pagerduty, { config, event: { body: Buffer.from('{"state":"down","host":"web-3"}') } })
  t.match(await runAction(pagerduty, { config, event: { body: Buffer.from('{"state":"up","host":"web-3"}') } }), { outcome: 'ok' })
  t.equal(sent(r, 0).event_action, 'trigger')
  t.same(sent(r, 1), { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'check-web-3' })
})

t.test('a retried event carries the same dedup key, so PagerDuty keeps one alert', async (t) => {
  const { r, url } = await api(t)
  r.expect({ status: 502, body: 'Bad Gateway' })
  const event = { id: 'evt-retried' }
  t.match(await runAction(pagerduty, { config: { routingKey: ROUTING_KEY, url }, event, attempt: 1 }), { outcome: 'retry', reason: 'HTTP 502 Bad Gateway' })
  t.match(await runAction(pagerduty, { config: { routingKey: ROUTING_KEY, url }, event, attempt: 2 }), { outcome: 'ok' })
  t.same(r.requests.map((q) => JSON.parse(q.body.toString()).dedup_key), ['evt-retried', 'evt-retried'])
})

t.test('400 invalid event is permanent, with PagerDuty’s errors in the reason and the body recorded', async (t) => {
  const { r, url } = await api(t)
  r.expect(invalidEvent(["'payload.summary' is missing or blank"]))
  const result = await runAction(pagerduty, { config: { routingKey: ROUTING_KEY, url } })
  t.match(result, {
    outcome: 'fail',
    reason: "HTTP 400 Bad Request: Event object is invalid; 'payload.summary' is missing or blank",
    exchange: { response: { status: 400 } },
  })
  t.match(JSON.parse(result.exchange!.response!.body!.toString()), { status: 'invalid event', errors: ["'payload.summary' is missing or blank"] })
})

t.test('429 and 5xx are retried; a Retry-After is honoured', async (t) => {
  const { r, url } = await api(t)
  r.expect(throttled).expect({ ...throttled, headers: { 'retry-after': '7' } }).expect({ status: 500 }).expect({ status: 503 })
  const config = { routingKey: ROUTING_KEY, url }
  t.match(await runAction(pagerduty, { config }), { outcome: 'retry', reason: /^HTTP 429 Too Many Requests: Requests for this service/ })
  t.match(await runAction(pagerduty, { config }), { outcome: 'retry', afterMs: 7000 })
  t.match(await runAction(pagerduty, { config }), { outcome: 'retry', reason: 'HTTP 500 Internal Server Error' })
  t.match(await runAction(pagerduty, { config }), { outcome: 'retry', reason: 'HTTP 503 Service Unavailable' })
})

t.test('a slow or unreachable endpoint is retried', async (t) => {
  const { r, url } = await api(t)
  r.expect({ status: 202, delayMs: 2000 })
  t.match(await runAction(pagerduty, { config: { routingKey: ROUTING_KEY, url, timeoutMs: 150 } }), { outcome: 'retry', reason: /within 150 ms/ })
  const closed = await startTestReceiver()
  const deadUrl = `${closed.url}/v2/enqueue`
  await closed.close()
  t.match(await runAction(pagerduty, { config: { routingKey: ROUTING_KEY, url: deadUrl } }), { outcome: 'retry', reason: /ECONNREFUSED/ })
})

t.test('a template that renders a bad severity or action, or a too-long dedup key, fails without a request', async (t) => {
  const { r, url } = await api(t)
  const base = { routingKey: ROUTING_KEY, url }
  t.match(await runAction(pagerduty, { config: { ...base, severity: '{{ payload.level }}' }, event: { body: Buffer.from('{"level":"fatal"}') } }), {
    outcome: 'fail',
    reason: 'severity rendered "fatal"; expected critical, error, warning, info',
  })
  t.match(await runAction(pagerduty, { config: { ...base, eventAction: 'escalate' } }), { outcome: 'fail', reason: /eventAction rendered "escalate"/ })
  t.match(await runAction(pagerduty, { config: { ...base, dedupKey: "{{ 'x' * 3 }}{% for i in range(300) %}k{% endfor %}" } }), { outcome: 'fail', reason: /dedupKey is 30\d characters/ })
  t.match(await runAction(pagerduty, { config: { ...base, summary: '{{ unclosed' } }), { outcome: 'fail', reason: /^template summary: / })
  t.equal(r.requests.length, 0)
})

t.test('a long summary is cut to PagerDuty’s 1024 characters', async (t) => {
  const { r, url } = await api(t)
  await runAction(pagerduty, { config: { routingKey: ROUTING_KEY, url, summary: '{{ body }}' }, event: { body: Buffer.from('x'.repeat(5000)), contentType: 'text/plain' } })
  t.equal(sent(r).payload.summary.length, 1024)
  t.same(sent(r).payload.custom_details, { body: 'x'.repeat(5000) }, 'a non-JSON payload is attached as text')
})

t.test('the config refuses a malformed routing key, unknown fields and non-http URLs', async (t) => {
  const bad: unknown[] = [
    { routingKey: 'short' },
    { routingKey: ROUTING_KEY, url: 'ftp://events.pagerduty.com/v2/enqueue' },
    { routingKey: ROUTING_KEY, severity: '' },
    { routingKey: ROUTING_KEY, timeoutMs: 10 },
    { routingKey: ROUTING_KEY, routing_key: ROUTING_KEY },
    {},
  ]
  for (const config of bad) await t.rejects(runAction(pagerduty, { config }), /config rejected by pagerduty/, JSON.stringify(config))
})
