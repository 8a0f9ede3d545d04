import t, { type Test } from 'tap'
import type { HttpClient } from '@webhook-relay/plugin-sdk'
import { createRecordingLogger, runAction, startTestReceiver } from '@webhook-relay/core/testing'
import opsgenie, { apiOrigin } from '../src/index.ts'
import { opsgenie as opsgenieApi, throttled, unprocessable } from './opsgenie-api.ts'

const API_KEY = 'eb243592-faa2-4ba2-a551-1afdf565c889'

/** An Opsgenie stand-in closed (and checked for unexpected requests) when the test ends. */
async function api(t: Test, key = API_KEY) {
  const og = opsgenieApi(key)
  const r = await startTestReceiver(og.handler)
  t.teardown(() => r.close())
  return { r, alerts: og.alerts, baseUrl: r.url }
}

const sent = (r: { requests: readonly { body: Buffer }[] }, i = 0) => JSON.parse(r.requests[i]!.body.toString('utf8'))

t.test('a create with the defaults: alias is the event id, body as description', async (t) => {
  const { r, alerts, baseUrl } = await api(t)
  const body = Buffer.from('{"alert":"disk full","host":"db-1"}')
  const result = await runAction(opsgenie, {
    config: { apiKey: API_KEY, baseUrl },
    event: { id: 'evt-1', sourceSlug: 'monitoring', body },
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  })
  t.match(result, { outcome: 'ok', exchange: { response: { status: 202 } } })
  const req = r.requests[0]!
  t.equal(req.method, 'POST')
  t.equal(req.url, '/v2/alerts')
  t.equal(req.headers.authorization, `GenieKey ${API_KEY}`)
  t.equal(req.headers['content-type'], 'application/json')
  t.equal(req.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  t.same(sent(r), {
    message: 'monitoring: webhook evt-1',
    alias: 'evt-1',
    source: 'monitoring',
    priority: 'P3',
    description: '{"alert":"disk full","host":"db-1"}',
  })
  t.match(JSON.parse(result.exchange!.response!.body!.toString()), { result: 'Request will be processed', took: Number, requestId: String })
  t.match(alerts.get('evt-1'), { status: 'open', count: 1 })
})

t.test('the API key is masked in the recorded request and never logged', async (t) => {
  const { baseUrl } = await api(t)
  const log = createRecordingLogger()
  const result = await runAction(opsgenie, { config: { apiKey: API_KEY, baseUrl }, log })
  const recorded = result.exchange!.request!
  t.equal(recorded.headers.authorization, 'GenieKey ********')
  t.notMatch(JSON.stringify(recorded), API_KEY)
  t.notMatch(recorded.body!.toString(), API_KEY)
  t.notMatch(JSON.stringify(log.entries), API_KEY)
})

t.test('message, description, priority, source, entity, tags, details, responders and note from templates', async (t) => {
  const { r, baseUrl } = await api(t)
  const config = {
    apiKey: API_KEY,
    baseUrl,
    alias: 'check-{{ payload.host }}-{{ payload.check }}',
    message: '{{ payload.check }} is {{ payload.state | upper }} on {{ payload.host }}',
    description: 'Reported by {{ event.sourceSlug }} at {{ event.receivedAt }}',
    priority: "{% if payload.state == 'down' %}P1{% else %}P4{% endif %}",
    source: 'uptime-robot',
    entity: '{{ payload.host }}',
    tags: ['{{ payload.check }}', 'env:{{ payload.env }}', '{{ payload.missing }}', '{{ payload.check }}'],
    details: { host: '{{ payload.host }}', region: '{{ payload.region }}', empty: '{{ payload.nothing }}' },
    responders: [{ type: 'team' as const, name: 'SRE' }, { type: 'user' as const, username: 'oncall@example.com' }],
    note: 'created by the relay',
  }
  const receivedAt = new Date('2025-03-04T05:06:07.000Z')
  const body = Buffer.from('{"check":"http","state":"down","host":"web-3","env":"prod","region":"eu-west-1"}')
  t.match(await runAction(opsgenie, { config, event: { body, sourceSlug: 'uptime', receivedAt } }), { outcome: 'ok' })
  t.same(sent(r), {
    message: 'http is DOWN on web-3',
    alias: 'check-web-3-http',
    source: 'uptime-robot',
    priority: 'P1',
    description: 'Reported by uptime at 2025-03-04T05:06:07.000Z',
    entity: 'web-3',
    tags: ['http', 'env:prod'],
    details: { host: 'web-3', region: 'eu-west-1' },
    responders: [{ type: 'team', name: 'SRE' }, { type: 'user', username: 'oncall@example.com' }],
    note: 'created by the relay',
  })
})

t.test('acknowledge and close: the action template picks them; the alert is named by alias', async (t) => {
  const { r, alerts, baseUrl } = await api(t)
  const config = {
    apiKey: API_KEY,
    baseUrl,
    action: "{{ {'down': 'create', 'seen': 'acknowledge', 'up': 'close'}[payload.state] }}",
    alias: 'check/{{ payload.host }}',
    note: '{{ payload.state }}',
  }
  const send = (state: string) => runAction(opsgenie, { config, event: { body: Buffer.from(`{"state":"${state}","host":"web 3"}`), sourceSlug: 'uptime' } })
  t.match(await send('down'), { outcome: 'ok' })
  t.match(await send('seen'), { outcome: 'ok' })
  t.match(alerts.get('check/web 3'), { status: 'open', acknowledged: true })
  t.match(await send('up'), { outcome: 'ok' })
  t.equal(r.requests[0]!.url, '/v2/alerts')
  t.equal(r.requests[1]!.url, '/v2/alerts/check%2Fweb%203/acknowledge?identifierType=alias', 'the alias is one path segment')
  t.equal(r.requests[2]!.url, '/v2/alerts/check%2Fweb%203/close?identifierType=alias')
  t.same(sent(r, 1), { source: 'uptime', note: 'seen' }, 'acknowledge sends no alert content')
  t.same(sent(r, 2), { source: 'uptime', note: 'up' })
  t.match(alerts.get('check/web 3'), { status: 'closed' })
})

t.test('a retried event carries the same alias, so Opsgenie keeps one alert', async (t) => {
  const { r, alerts, baseUrl } = await api(t)
  r.expect({ status: 502, body: 'Bad Gateway' })
  const event = { id: 'evt-retried' }
  const config = { apiKey: API_KEY, baseUrl }
  t.match(await runAction(opsgenie, { config, event, attempt: 1 }), { outcome: 'retry', reason: 'HTTP 502 Bad Gateway' })
  t.match(await runAction(opsgenie, { config, event, attempt: 2 }), { outcome: 'ok' })
  t.match(await runAction(opsgenie, { config, event, attempt: 1 }), { outcome: 'ok' }, 'a replay')
  t.same(r.requests.map((q) => JSON.parse(q.body.toString()).alias), ['evt-retried', 'evt-retried', 'evt-retried'])
  t.equal(alerts.size, 1)
  t.match(alerts.get('evt-retried'), { count: 2 }, 'the replay raised the count of the open alert')
})

t.test('a wrong key is 401 and permanent, with Opsgenie’s message in the reason', async (t) => {
  const { r, baseUrl } = await api(t, '00000000-0000-0000-0000-000000000000')
  const result = await runAction(opsgenie, { config: { apiKey: API_KEY, baseUrl } })
  t.match(result, { outcome: 'fail', reason: 'HTTP 401 Unauthorized: Could not authenticate', exchange: { response: { status: 401 } } })
  t.notOk('disableSubscription' in result && result.disableSubscription, 'a 401 does not disable the subscription')
  t.equal(r.requests.length, 1)
})

t.test('422 is permanent, with Opsgenie’s field errors in the reason and the body recorded', async (t) => {
  const { r, baseUrl } = await api(t)
  r.expect(unprocessable({ message: 'Message can not be empty.' }))
  const result = await runAction(opsgenie, { config: { apiKey: API_KEY, baseUrl } })
  t.match(result, {
    outcome: 'fail',
    reason: 'HTTP 422 Unprocessable Entity: Request body is not processable. Please check the errors.; message: Message can not be empty.',
    exchange: { response: { status: 422 } },
  })
  t.match(JSON.parse(result.exchange!.response!.body!.toString()), { errors: { message: 'Message can not be empty.' }, requestId: String })
})

t.test('429 and 5xx are retried; a Retry-After is honoured; 410 disables', async (t) => {
  const { r, baseUrl } = await api(t)
  r.expect(throttled)
    .expect({ ...throttled, headers: { ...throttled.headers, 'retry-after': '7' } })
    .expect({ status: 500 })
    .expect({ status: 503, body: { message: 'Service is temporarily unavailable', took: 0, requestId: 'r-1' } })
    .expect({ status: 410 })
  const config = { apiKey: API_KEY, baseUrl }
  t.match(await runAction(opsgenie, { config }), { outcome: 'retry', reason: /^HTTP 429 Too Many Requests: You are making too many requests/ })
  t.match(await runAction(opsgenie, { config }), { outcome: 'retry', afterMs: 7000 })
  t.match(await runAction(opsgenie, { config }), { outcome: 'retry', reason: 'HTTP 500 Internal Server Error' })
  t.match(await runAction(opsgenie, { config }), { outcome: 'retry', reason: 'HTTP 503 Service Unavailable: Service is temporarily unavailable' })
  t.match(await runAction(opsgenie, { config }), { outcome: 'fail', disableSubscription: true })
})

t.test('a slow or unreachable endpoint is retried', async (t) => {
  const { r, baseUrl } = await api(t)
  r.expect({ status: 202, delayMs: 2000 })
  t.match(await runAction(opsgenie, { config: { apiKey: API_KEY, baseUrl, timeoutMs: 150 } }), { outcome: 'retry', reason: /within 150 ms/ })
  const closed = await startTestReceiver()
  const deadUrl = closed.url
  await closed.close()
  t.match(await runAction(opsgenie, { config: { apiKey: API_KEY, baseUrl: deadUrl } }), { outcome: 'retry', reason: /ECONNREFUSED/ })
})

t.test('region picks the API host; baseUrl overrides it', async (t) => {
  t.equal(apiOrigin({}), 'https://api.opsgenie.com')
  t.equal(apiOrigin({ region: 'us' }), 'https://api.opsgenie.com')
  t.equal(apiOrigin({ region: 'eu' }), 'https://api.eu.opsgenie.com')
  t.equal(apiOrigin({ region: 'eu', baseUrl: 'http://127.0.0.1:9/' }), 'http://127.0.0.1:9')
  // A client that answers like Opsgenie without leaving the machine, to see which host each region calls.
  const urls: string[] = []
  const http: HttpClient = {
    request: async (req) => {
      urls.push(req.url)
      return { status: 202, headers: {}, body: Buffer.from('{"result":"Request will be processed","took":0.1,"requestId":"r"}') }
    },
  }
  const alias = 'a b'
  t.match(await runAction(opsgenie, { config: { apiKey: API_KEY }, http }), { outcome: 'ok' })
  t.match(await runAction(opsgenie, { config: { apiKey: API_KEY, region: 'eu' }, http }), { outcome: 'ok' })
  t.match(await runAction(opsgenie, { config: { apiKey: API_KEY, region: 'eu', action: 'close', alias }, http }), { outcome: 'ok' })
  t.same(urls, ['https://api.opsgenie.com/v2/alerts', 'https://api.eu.opsgenie.com/v2/alerts', 'https://api.eu.opsgenie.com/v2/alerts/a%20b/close?identifierType=alias'])
})

t.test('a template that renders a bad action or priority, or a too-long alias, fails without a request', async (t) => {
  const { r, baseUrl } = await api(t)
  const base = { apiKey: API_KEY, baseUrl }
  t.match(await runAction(opsgenie, { config: { ...base, priority: '{{ payload.level }}' }, event: { body: Buffer.from('{"level":"P0"}') } }), {
    outcome: 'fail',
    reason: 'priority rendered "P0"; expected P1, P2, P3, P4, P5',
  })
  t.match(await runAction(opsgenie, { config: { ...base, action: 'resolve' } }), { outcome: 'fail', reason: /action rendered "resolve"/ })
  t.match(await runAction(opsgenie, { config: { ...base, alias: '{% for i in range(600) %}k{% endfor %}' } }), { outcome: 'fail', reason: 'alias is 600 characters; Opsgenie allows 512' })
  t.match(await runAction(opsgenie, { config: { ...base, alias: '{{ payload.absent }}' } }), { outcome: 'fail', reason: 'alias rendered empty' })
  t.match(await runAction(opsgenie, { config: { ...base, message: '{{ unclosed' } }), { outcome: 'fail', reason: /^template message: / })
  t.match(await runAction(opsgenie, { config: { ...base, details: { k: '{{ unclosed' } } }), { outcome: 'fail', reason: /^template details\.k: / })
  t.equal(r.requests.length, 0)
})

t.test('long fields are cut to Opsgenie’s limits', async (t) => {
  const { r, baseUrl } = await api(t)
  const config = {
    apiKey: API_KEY,
    baseUrl,
    message: '{{ body }}',
    description: '{{ body }}{{ body }}{{ body }}{{ body }}',
    source: '{{ body }}',
    entity: '{{ body }}',
    tags: ['{{ body }}'],
    details: { a: '{{ body }}', b: '{{ body }}', c: '{{ body }}' },
  }
  const result = await runAction(opsgenie, { config, event: { body: Buffer.from('x'.repeat(5000)), contentType: 'text/plain' } })
  t.match(result, { outcome: 'ok' }, 'the stand-in accepted the cut alert')
  const alert = sent(r)
  t.equal(alert.message.length, 130)
  t.ok(alert.message.endsWith('…'))
  t.equal(alert.description.length, 15_000)
  t.equal(alert.source.length, 100)
  t.equal(alert.entity.length, 512)
  t.same(alert.tags, ['x'.repeat(50)])
  t.equal(alert.details.a.length, 5000)
  t.equal(alert.details.b.length, 8000 - 5001 - 1, 'the second value takes what is left of 8000')
  t.notOk('c' in alert.details, 'nothing was left for the third')
})

t.test('the config refuses a malformed key, unknown fields, a bad region, responders without a name and non-http URLs', async (t) => {
  const bad: unknown[] = [
    { apiKey: 'short' },
    { apiKey: `${API_KEY}\r\nx-evil: 1` },
    { apiKey: API_KEY, region: 'apac' },
    { apiKey: API_KEY, baseUrl: 'ftp://api.opsgenie.com' },
    { apiKey: API_KEY, message: '' },
    { apiKey: API_KEY, timeoutMs: 10 },
    { apiKey: API_KEY, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
    { apiKey: API_KEY, responders: [{ type: 'team' }] },
    { apiKey: API_KEY, responders: [{ type: 'group', name: 'x' }] },
    { apiKey: API_KEY, details: { k: 1 } },
    { apiKey: API_KEY, details: { '': 'x' } },
    { apiKey: API_KEY, api_key: API_KEY },
    {},
  ]
  for (const config of bad) await t.rejects(runAction(opsgenie, { config }), /config rejected by opsgenie/, JSON.stringify(config))
})
