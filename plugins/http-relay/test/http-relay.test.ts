import { createHmac } from 'node:crypto'
import t, { type Test } from 'tap'
import { runAction, startTestReceiver, createRecordingLogger, type ReceivedRequest } from '@webhook-relay/core/testing'
import httpRelay from '../src/index.ts'

const SECRET_NEW = 'whsec_' + Buffer.from('new-secret-key-for-tests-0123456').toString('base64')
const SECRET_OLD = 'whsec_' + Buffer.from('old-secret-key-for-tests-6543210').toString('base64')

/** An independent Standard Webhooks check: HMAC-SHA256 over `id.timestamp.body`, base64. */
function expectedSignature(secret: string, req: ReceivedRequest): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const signed = Buffer.concat([
    Buffer.from(`${String(req.headers['webhook-id'])}.${String(req.headers['webhook-timestamp'])}.`),
    req.body,
  ])
  return `v1,${createHmac('sha256', key).update(signed).digest('base64')}`
}

/** A receiver closed (and checked for unexpected requests) when the test ends. */
async function receiver(t: Test) {
  const r = await startTestReceiver()
  t.teardown(() => r.close())
  return r
}

t.test('relays the body, signed, with trace context and user agent', async (t) => {
  const r = await receiver(t)
  r.expect({ status: 204 })
  const body = Buffer.from('{"order":42,"emoji":"🦀"}')
  const before = Math.floor(Date.now() / 1000)
  const result = await runAction(httpRelay, {
    config: { url: `${r.url}/hooks/orders` },
    payload: { body, contentType: 'application/json; charset=utf-8', headers: {} },
    webhookId: 'msg_2f1s',
    signingSecrets: [SECRET_NEW],
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  })
  t.equal(result.outcome, 'ok')
  const [req] = r.requests
  if (!req) throw new Error('no request')
  t.equal(req.method, 'POST', 'POST by default')
  t.equal(req.url, '/hooks/orders')
  t.same(req.body, body, 'raw bytes unchanged')
  t.equal(req.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(req.headers['webhook-id'], 'msg_2f1s')
  const ts = Number(req.headers['webhook-timestamp'])
  t.ok(ts >= before && ts <= before + 2, 'timestamp is now, in seconds')
  t.equal(req.headers['webhook-signature'], expectedSignature(SECRET_NEW, req))
  t.equal(req.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  t.equal(req.headers['user-agent'], 'WebhookRelay/1.0')
  // The core records what was exchanged.
  t.match(result.exchange, {
    request: { url: `${r.url}/hooks/orders`, method: 'POST', headers: { 'webhook-id': 'msg_2f1s' }, body },
    response: { status: 204 },
  })
})

t.test('during a secret rotation both signatures are sent and each verifies', async (t) => {
  const r = await receiver(t)
  r.expect()
  await runAction(httpRelay, { config: { url: r.url }, signingSecrets: [SECRET_NEW, SECRET_OLD] })
  const [req] = r.requests
  if (!req) throw new Error('no request')
  const entries = String(req.headers['webhook-signature']).split(' ')
  t.same(entries, [expectedSignature(SECRET_NEW, req), expectedSignature(SECRET_OLD, req)])
})

t.test('webhook-id is the delivery’s, the same on every attempt', async (t) => {
  const r = await receiver(t)
  r.expect({ status: 503 }).expect({ status: 503 }).expect({ status: 200 })
  const outcomes = []
  for (const attempt of [1, 2, 3]) {
    outcomes.push((await runAction(httpRelay, { config: { url: r.url }, webhookId: 'msg_stable', attempt })).outcome)
  }
  t.same(outcomes, ['retry', 'retry', 'ok'])
  t.same(r.requests.map((q) => q.headers['webhook-id']), ['msg_stable', 'msg_stable', 'msg_stable'])
})

t.test('method and custom headers from the config; transform headers layered on top', async (t) => {
  const r = await receiver(t)
  r.expect()
  const result = await runAction(httpRelay, {
    config: { url: r.url, method: 'PUT', headers: { Authorization: 'Bearer abc', 'X-Team': 'payments', 'X-Env': 'config' } },
    payload: { body: Buffer.from('x'), contentType: 'text/plain', headers: { 'x-env': 'transform', 'Webhook-Signature': 'forged', connection: 'close' } },
    signingSecrets: [SECRET_NEW],
  })
  t.equal(result.outcome, 'ok')
  const [req] = r.requests
  if (!req) throw new Error('no request')
  t.equal(req.method, 'PUT')
  t.equal(req.headers.authorization, 'Bearer abc')
  t.equal(req.headers['x-team'], 'payments')
  t.equal(req.headers['x-env'], 'transform', 'a transform header overrides the config one')
  t.equal(req.headers['webhook-signature'], expectedSignature(SECRET_NEW, req), 'a transform cannot forge the signature')
  t.equal(req.headers['content-type'], 'text/plain')
})

t.test('the config refuses hop-by-hop and signature headers, bad URLs and timeouts', async (t) => {
  const url = 'https://example.com/hook'
  const bad: unknown[] = [
    { url, headers: { Connection: 'close' } },
    { url, headers: { 'transfer-encoding': 'chunked' } },
    { url, headers: { 'WEBHOOK-SIGNATURE': 'v1,forged' } },
    { url, headers: { 'webhook-id': 'x' } },
    { url, headers: { 'x-ok': 'line\r\nInjected: yes' } },
    { url, headers: { 'x-ok': 'nul\u0000byte' } },
    { url, headers: { 'x-ok': 'bell\u0007' } },
    { url, headers: { 'x-ok': 'del\u007f' } },
    { url, headers: { 'x-ok': ' leading space' } },
    { url, headers: { 'x-ok': 'trailing tab\t' } },
    { url, headers: { 'x-ok': 'snowman \u2603' } },
    { url, headers: { 'x-ok': 'lf only\nx' } },
    { url, headers: { 'bad name': 'x' } },
    { url: 'ftp://example.com/' },
    { url: 'not a url' },
    { url, method: 'GET' },
    { url, timeoutMs: 50 },
    { url, timeoutMs: 60_001 },
    { url, timeoutMs: 1.5 },
    { url, extra: true },
  ]
  for (const config of bad) await t.rejects(runAction(httpRelay, { config }), /config rejected by http-relay/, JSON.stringify(config))
})

t.test('a transform that sends elsewhere does not take the configured headers along; the log masks them', async (t) => {
  const home = await receiver(t)
  const other = await receiver(t)
  other.expect()
  const result = await runAction(httpRelay, {
    config: { url: home.url, headers: { Authorization: 'Bearer for-home-only', 'X-Team': 'payments' } },
    payload: { body: Buffer.from('x'), contentType: 'text/plain', url: other.url, headers: {} },
  })
  t.equal(result.outcome, 'ok')
  const [req] = other.requests
  t.equal(req?.headers.authorization, undefined, 'no credential to the other origin')
  t.equal(req?.headers['x-team'], undefined)
  home.expect()
  const same = await runAction(httpRelay, { config: { url: home.url, headers: { Authorization: 'Bearer for-home-only' } } })
  t.equal(home.requests[0]?.headers.authorization, 'Bearer for-home-only', 'sent to its own origin')
  t.equal((same as { exchange?: { request?: { headers?: Record<string, string> } } }).exchange?.request?.headers?.authorization, '********', 'masked in what is recorded')
})

t.test('every header value the config accepts is one the HTTP client sends', async (t) => {
  const r = await receiver(t)
  const values = ['', 'plain', 'Bearer abc.def-ghi', 'a\tb c', 'caf\u00e9 (latin-1)', '!#$%&\'*+-.^_`|~', '"quoted, with commas"']
  for (const v of values) {
    r.expect({ status: 200 })
    const result = await runAction(httpRelay, { config: { url: r.url, headers: { 'x-value': v } } })
    t.equal(result.outcome, 'ok', `${JSON.stringify(v)} is sent`)
  }
})

t.test('a receiver slower than timeoutMs is retried', async (t) => {
  const r = await receiver(t)
  r.expect({ status: 200, delayMs: 2000 })
  const started = Date.now()
  const result = await runAction(httpRelay, { config: { url: r.url, timeoutMs: 150 } })
  t.match(result, { outcome: 'retry', reason: /within 150 ms/, exchange: { request: { url: r.url } } })
  t.ok(Date.now() - started < 1500, `gave up after ${Date.now() - started} ms`)
})

t.test('500 is retried, and the response is recorded', async (t) => {
  const r = await receiver(t)
  r.expect({ status: 500, body: 'boom' })
  const result = await runAction(httpRelay, { config: { url: r.url } })
  t.match(result, { outcome: 'retry', reason: 'HTTP 500 Internal Server Error' })
  t.equal(result.exchange?.response?.body?.toString(), 'boom')
})

t.test('429 with Retry-After is retried after the delay the receiver asked for', async (t) => {
  const r = await receiver(t)
  r.expect({ status: 429, headers: { 'retry-after': '30' } })
  t.match(await runAction(httpRelay, { config: { url: r.url } }), { outcome: 'retry', reason: 'HTTP 429 Too Many Requests', afterMs: 30_000 })
})

t.test('410 fails and disables the subscription; 404 fails', async (t) => {
  const r = await receiver(t)
  r.expect({ status: 410 }).expect({ status: 404 })
  t.match(await runAction(httpRelay, { config: { url: r.url } }), { outcome: 'fail', reason: 'HTTP 410 Gone', disableSubscription: true })
  const notFound = await runAction(httpRelay, { config: { url: r.url } })
  t.match(notFound, { outcome: 'fail', reason: 'HTTP 404 Not Found' })
  t.notOk('disableSubscription' in notFound && notFound.disableSubscription)
})

t.test('a redirect is not followed: it fails, and the other location is never called', async (t) => {
  const elsewhere = await receiver(t) // nothing expected: a request there fails the test at close
  const r = await receiver(t)
  r.expect({ status: 307, headers: { location: `${elsewhere.url}/moved` } })
  t.match(await runAction(httpRelay, { config: { url: r.url } }), { outcome: 'fail', reason: 'HTTP 307 Temporary Redirect' })
  t.equal(elsewhere.requests.length, 0)
})

t.test('a transform can override the target URL', async (t) => {
  const configured = await receiver(t)
  const chosen = await receiver(t)
  chosen.expect()
  const result = await runAction(httpRelay, { config: { url: configured.url }, payload: { url: `${chosen.url}/tenant/7` } })
  t.equal(result.outcome, 'ok')
  t.equal(chosen.requests[0]?.url, '/tenant/7')
  t.equal(configured.requests.length, 0)
})

t.test('the SSRF guard applies: a private target fails without a request', async (t) => {
  const r = await receiver(t)
  const result = await runAction(httpRelay, { config: { url: r.url }, allowCidrs: [] })
  t.match(result, { outcome: 'fail', reason: /127\.0\.0\.1 is a private/ })
  t.equal(r.requests.length, 0)
})

t.test('transform headers the relay owns are dropped with a warning', async (t) => {
  const r = await receiver(t)
  r.expect()
  const log = createRecordingLogger()
  await runAction(httpRelay, {
    config: { url: r.url },
    payload: { headers: { 'Transfer-Encoding': 'chunked', 'x-fine': '1' } },
    log,
  })
  t.equal(r.requests[0]?.headers['x-fine'], '1')
  t.match(log.entries, [{ level: 'warn', obj: { dropped: ['transfer-encoding'] } }])
})

t.test('a subscription without a signing secret is never sent unsigned', async (t) => {
  const r = await receiver(t)
  t.match(await runAction(httpRelay, { config: { url: r.url }, signingSecrets: [] }), { outcome: 'fail', reason: /no signing secret/ })
  t.equal(r.requests.length, 0)
})
