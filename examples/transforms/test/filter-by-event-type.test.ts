import { readFileSync } from 'node:fs'
import t from 'tap'
import { createTransformRunner, eventViewFromPayload } from '@webhook-relay/core/testing'

const script = readFileSync(new URL('../filter-by-event-type.js', import.meta.url), 'utf8')
const push = readFileSync(new URL('./fixtures/github-push.json', import.meta.url), 'utf8')
const stripe = JSON.parse(readFileSync(new URL('./fixtures/stripe-payment-intent-succeeded.json', import.meta.url), 'utf8'))
// A roomy time budget: these tests are not about timeouts, and CI machines get busy.
const runner = createTransformRunner({ timeoutMs: 1000 })
t.teardown(() => runner.close())

t.test('a wanted event passes through unchanged', async (t) => {
  const event = eventViewFromPayload({ body: push, contentType: 'application/json', headers: { 'x-github-event': 'push' }, source: 'github' })
  const out = await runner.run(script, event)
  if (out.kind !== 'payload') throw new Error(JSON.stringify(out))
  t.same(JSON.parse(out.payload.body.toString()), JSON.parse(push))
  t.same(out.logs, [])
})

t.test('an event type read from the body is filtered too', async (t) => {
  const paid = await runner.run(script, eventViewFromPayload({ body: { ...stripe, type: 'invoice.paid' }, source: 'stripe' }))
  t.equal(paid.kind, 'payload')
  const other = await runner.run(script, eventViewFromPayload({ body: stripe, source: 'stripe' }))
  t.equal(other.kind, 'skip')
  t.same(other.logs, [{ level: 'log', message: 'skipping payment_intent.succeeded from stripe' }])
})

t.test('unwanted and untyped events are skipped', async (t) => {
  const star = eventViewFromPayload({ body: { action: 'created' }, headers: { 'x-github-event': 'star' }, source: 'github' })
  t.equal((await runner.run(script, star)).kind, 'skip')
  const text = eventViewFromPayload({ body: 'hello', contentType: 'text/plain', source: 'misc' })
  const out = await runner.run(script, text)
  t.equal(out.kind, 'skip')
  t.same(out.logs, [{ level: 'log', message: 'skipping an event without a type from misc' }])
})
