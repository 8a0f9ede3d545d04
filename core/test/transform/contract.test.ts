import t from 'tap'
import { createTransformRunner, eventViewFromPayload } from '../../src/transform/index.ts'
import type { TransformOutcome } from '../../src/transform/index.ts'

// A roomy time budget: these tests are not about timeouts, and CI machines get busy.
const runner = createTransformRunner({ timeoutMs: 1000 })
t.teardown(() => runner.close())

const event = eventViewFromPayload({
  body: { action: 'opened', number: 7 },
  headers: { 'X-GitHub-Event': 'pull_request' },
  source: 'github',
  id: 'evt_01',
  receivedAt: new Date('2026-01-02T03:04:05.000Z'),
})

function payloadOf(outcome: TransformOutcome) {
  if (outcome.kind !== 'payload') throw new Error(`expected a payload, got ${JSON.stringify(outcome)}`)
  return outcome.payload
}

t.test('the script sees body, lower-case headers, source, id, time and content type', async (t) => {
  const out = await runner.run('function transform(event) { return event }', event)
  t.same(JSON.parse(payloadOf(out).body.toString()), {
    body: { action: 'opened', number: 7 },
    headers: { 'x-github-event': 'pull_request' },
    source: 'github',
    id: 'evt_01',
    receivedAt: '2026-01-02T03:04:05.000Z',
    contentType: 'application/json',
  })
})

t.test('a returned object becomes a JSON body', async (t) => {
  const payload = payloadOf(await runner.run('function transform(e) { return { text: "PR #" + e.body.number } }', event))
  t.equal(payload.contentType, 'application/json')
  t.equal(payload.body.toString(), '{"text":"PR #7"}')
  t.same(payload.headers, {})
  t.equal(payload.url, undefined)
})

t.test('an object with body and headers fields is still just the body', async (t) => {
  const payload = payloadOf(await runner.run('function transform() { return { body: "b", headers: { a: "1" }, url: "x" } }', event))
  t.equal(payload.body.toString(), '{"body":"b","headers":{"a":"1"},"url":"x"}')
  t.same(payload.headers, {})
})

t.test('a returned string is sent as text/plain', async (t) => {
  const payload = payloadOf(await runner.run('function transform(e) { return "action: " + e.body.action }', event))
  t.equal(payload.contentType, 'text/plain; charset=utf-8')
  t.equal(payload.body.toString(), 'action: opened')
})

t.test('relay.payload sets headers, the target URL and the content type', async (t) => {
  const code = `function transform(e) {
    return relay.payload('<n>' + e.body.number + '</n>', {
      headers: { 'X-Event': e.headers['x-github-event'], 'X-Count': 3 },
      url: 'https://hooks.example.com/pr',
      contentType: 'application/xml',
    })
  }`
  const payload = payloadOf(await runner.run(code, event))
  t.equal(payload.body.toString(), '<n>7</n>')
  t.equal(payload.contentType, 'application/xml')
  t.same(payload.headers, { 'x-event': 'pull_request', 'x-count': '3' })
  t.equal(payload.url, 'https://hooks.example.com/pr')
})

t.test('relay.payload with an object body keeps JSON, a content-type header overrides it', async (t) => {
  const payload = payloadOf(await runner.run(
    'function transform() { return relay.payload({ a: 1 }, { headers: { "Content-Type": "application/vnd.x+json" } }) }', event))
  t.equal(payload.body.toString(), '{"a":1}')
  t.equal(payload.contentType, 'application/vnd.x+json')
  t.same(payload.headers, {})
})

t.test('relay.payload options are checked', async (t) => {
  const cases: [string, RegExp][] = [
    ['{ header: {} }', /unknown option "header"/],
    ['{ url: "ftp://example.com/" }', /absolute http/],
    ['{ url: "/relative" }', /absolute http/],
    ['{ headers: { "webhook-signature": "v1,forged" } }', /set by the relay/],
    ['{ headers: { "x-a": "1\\r\\nx-b: 2" } }', /without line breaks/],
    ['{ headers: { "bad name": "1" } }', /not a valid header name/],
    ['{ headers: { "x-a": { nested: true } } }', /must be a string/],
    ['"text/plain"', /must be an object/],
  ]
  for (const [options, message] of cases) {
    const out = await runner.run(`function transform() { return relay.payload('x', ${options}) }`, event)
    t.equal(out.kind, 'error', options)
    if (out.kind === 'error') {
      t.equal(out.error.kind, 'output', options)
      t.match(out.error.message, message, options)
    }
  }
})

t.test('null skips the delivery', async (t) => {
  const out = await runner.run('function transform(e) { return e.body.action === "opened" ? null : e.body }', event)
  t.equal(out.kind, 'skip')
})

t.test('undefined (a forgotten return) and a Promise are errors, not skips', async (t) => {
  const forgot = await runner.run('function transform(e) { e.body.x = 1 }', event)
  t.equal(forgot.kind, 'error')
  if (forgot.kind === 'error') t.match(forgot.error.message, /returned undefined/)
  const asyncFn = await runner.run('async function transform(e) { return e.body }', event)
  t.equal(asyncFn.kind, 'error')
  if (asyncFn.kind === 'error') t.match(asyncFn.error.message, /Promise/)
})

t.test('a non-JSON body reaches the script as text', async (t) => {
  const form = eventViewFromPayload({ body: 'a=1&b=two', contentType: 'application/x-www-form-urlencoded' })
  const payload = payloadOf(await runner.run(
    'function transform(e) { return { type: typeof e.body, fields: e.body.split("&").length, ct: e.contentType } }', form))
  t.same(JSON.parse(payload.body.toString()), { type: 'string', fields: 2, ct: 'application/x-www-form-urlencoded' })
  const broken = eventViewFromPayload({ body: '{"not json', contentType: 'application/json' })
  t.equal(payloadOf(await runner.run('function transform(e) { return e.body }', broken)).body.toString(), '{"not json')
})

t.test('const and arrow functions work as the transform too', async (t) => {
  const payload = payloadOf(await runner.run('const transform = (e) => ({ n: e.body.number })', event))
  t.equal(payload.body.toString(), '{"n":7}')
})

t.test('console output is captured per run, in order, with levels', async (t) => {
  const out = await runner.run(`function transform(e) {
    console.log('number', e.body.number, { deep: [1] })
    console.warn('careful')
    console.error(new TypeError('shown, not thrown'))
    return null
  }`, event)
  t.same(out.logs, [
    { level: 'log', message: 'number 7 {"deep":[1]}' },
    { level: 'warn', message: 'careful' },
    { level: 'error', message: 'TypeError: shown, not thrown' },
  ])
  const next = await runner.run('function transform() { console.log("only me"); return null }', event)
  t.same(next.logs, [{ level: 'log', message: 'only me' }])
})

t.test('console capture is bounded in lines and line length', async (t) => {
  const out = await runner.run(`function transform() {
    console.log('x'.repeat(100000))
    for (let i = 0; i < 1000; i++) console.log(i)
    return null
  }`, event)
  t.equal(out.logs.length, 101)
  t.ok((out.logs[0]?.message.length ?? 0) <= 2001, 'a long line is cut')
  t.match(out.logs[100], { level: 'warn', message: /901 more console lines dropped/ })
})

t.test('logs are kept when the script then fails', async (t) => {
  const out = await runner.run('function transform() { console.log("before"); throw new Error("boom") }', event)
  t.equal(out.kind, 'error')
  t.same(out.logs, [{ level: 'log', message: 'before' }])
})

t.test('durationMs is reported', async (t) => {
  const out = await runner.run('function transform() { return 1 }', event)
  t.ok(out.durationMs >= 0 && out.durationMs < 1000)
})
