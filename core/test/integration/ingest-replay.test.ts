// Replays of captured signed requests are duplicates, whatever unsigned header is added:
// a verified source's idempotency key is what its signature covers (core/src/ingest/idempotency.ts).
// Also: keys are compared whole, and any Content-Type is kept as sent.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { DEFAULT_IDEMPOTENCY_HEADERS } from '../../src/ingest/idempotency.ts'
import { signStandardWebhook } from '../../src/signing/standard-webhooks.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('ingest_replay')
t.teardown(() => env.close())
const relay = await env.start('api')

const SECRET = 'shared-secret-for-tests'
const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const mac = (alg: 'sha256', secret: string, data: string | Buffer, enc: 'hex' | 'base64' = 'hex') => createHmac(alg, secret).update(data).digest(enc)
const now = () => Math.floor(Date.now() / 1000)

async function source(slug: string, verification: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) {
  const r = await relay.api('/api/v1/sources', { body: { name: slug, slug, mode: 'record', ...(verification ? { verification } : {}), ...extra } })
  if (r.status !== 201) throw new Error(JSON.stringify(r.body))
}
async function send(slug: string, body: string, headers: Record<string, string>): Promise<{ status: number; eventId: string }> {
  const res = await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
  const json = (await res.json()) as { eventId: string }
  return { status: res.status, eventId: json.eventId }
}
/** Unsigned headers an attacker may add to a captured request. */
const ADDED = [...DEFAULT_IDEMPOTENCY_HEADERS.map((h) => ({ [h]: `fresh-${h}` })), { 'x-github-delivery': 'a-new-guid', 'idempotency-key': 'k2' }]

/** Headers a scheme's signature covers: an attacker cannot change them without breaking it. */
const SIGNED_HEADERS: Record<string, readonly string[]> = { 'standard-webhooks': ['webhook-id'] }

const SIGNERS: Record<string, { verification: Record<string, unknown>; sign: (body: string) => Record<string, string> }> = {
  'standard-webhooks': {
    verification: { type: 'standard-webhooks', secret: WHSEC },
    sign: (body) => signStandardWebhook({ webhookId: `msg_${createHmac('sha256', 'id').update(body).digest('hex').slice(0, 20)}`, timestamp: now(), body: Buffer.from(body), secrets: [WHSEC] }),
  },
  stripe: {
    verification: { type: 'stripe', secret: SECRET },
    sign: (body) => {
      const ts = now()
      return { 'stripe-signature': `t=${ts},v1=${mac('sha256', SECRET, `${ts}.${body}`)}` }
    },
  },
  slack: {
    verification: { type: 'slack', secret: SECRET },
    sign: (body) => {
      const ts = now()
      return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${mac('sha256', SECRET, `v0:${ts}:${body}`)}` }
    },
  },
  github: {
    verification: { type: 'github', secret: SECRET },
    sign: (body) => ({ 'x-hub-signature-256': `sha256=${mac('sha256', SECRET, body)}`, 'x-github-delivery': 'guid-1' }),
  },
  shopify: {
    verification: { type: 'shopify', secret: SECRET },
    sign: (body) => ({ 'x-shopify-hmac-sha256': mac('sha256', SECRET, body, 'base64'), 'x-shopify-webhook-id': 'shop-1' }),
  },
  hmac: {
    verification: { type: 'hmac', secret: SECRET, header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' },
    sign: (body) => ({ 'x-signature': `sha256=${mac('sha256', SECRET, body)}` }),
  },
}

for (const [scheme, s] of Object.entries(SIGNERS)) {
  t.test(`${scheme}: a captured request replayed, with or without added unsigned headers, is the same event`, async (t) => {
    const slug = `replay-${scheme}`
    await source(slug, s.verification)
    const body = JSON.stringify({ id: `evt_${scheme}`, n: 1 })
    const signed = s.sign(body)
    const first = await send(slug, body, signed)
    t.equal(first.status, 202, 'accepted once')
    t.same(await send(slug, body, signed), { status: 200, eventId: first.eventId }, 'the exact replay is a duplicate')
    for (const extra of ADDED) {
      const r = await send(slug, body, { ...signed, ...extra })
      // Replacing a header the scheme signs (Standard Webhooks' webhook-id) breaks the signature instead.
      if (Object.keys(extra).some((h) => SIGNED_HEADERS[scheme]?.includes(h))) t.equal(r.status, 401, `replacing signed ${Object.keys(extra).join(', ')}: rejected`)
      else t.same(r, { status: 200, eventId: first.eventId }, `plus ${Object.keys(extra).join(', ')}: still a duplicate`)
    }
    const other = JSON.stringify({ id: `evt_${scheme}_2`, n: 2 })
    t.equal((await send(slug, other, s.sign(other))).status, 202, 'a different signed request is a new event')
  })
}

t.test('a hex signature re-cased verifies but is still the same replay', async (t) => {
  await source('replay-case', { type: 'github', secret: SECRET })
  const body = '{"ref":"main"}'
  const sig = mac('sha256', SECRET, body)
  const first = await send('replay-case', body, { 'x-hub-signature-256': `sha256=${sig}` })
  t.equal(first.status, 202)
  const upper = await send('replay-case', body, { 'x-hub-signature-256': `sha256=${sig.toUpperCase()}` })
  t.ok(upper.status === 401 || (upper.status === 200 && upper.eventId === first.eventId), `re-cased: ${upper.status}, never a new event`)
})

t.test('a Stripe retry (same event id, new timestamp and signature) is a duplicate', async (t) => {
  await source('stripe-retry', SIGNERS.stripe!.verification)
  const body = JSON.stringify({ id: 'evt_retry', type: 'invoice.paid' })
  const first = await send('stripe-retry', body, SIGNERS.stripe!.sign(body))
  await new Promise((r) => setTimeout(r, 1100))
  t.same(await send('stripe-retry', body, SIGNERS.stripe!.sign(body)), { status: 200, eventId: first.eventId })
})

t.test('replay window: a body-only signature repeats as a new event once the window has passed', async (t) => {
  await source('replay-window', { type: 'github', secret: SECRET, replayWindowSec: 1 })
  const body = '{"zen":"Keep it logically awesome."}'
  const signed = SIGNERS.github!.sign(body)
  const first = await send('replay-window', body, signed)
  t.equal(first.status, 202)
  t.equal((await send('replay-window', body, signed)).status, 200, 'inside the window: a duplicate')
  await new Promise((r) => setTimeout(r, 1500))
  const later = await send('replay-window', body, signed)
  t.equal(later.status, 202, 'after it: accepted again')
  t.not(later.eventId, first.eventId)
  t.same(await send('replay-window', body, signed), { status: 200, eventId: later.eventId }, 'and the window starts over from it')
})

t.test('an operator-configured header is the key, even on a verified source', async (t) => {
  await source('configured', SIGNERS.github!.verification, { idempotencyHeader: 'X-Delivery-Id' })
  const body = '{"a":1}'
  const signed = SIGNERS.github!.sign(body)
  const first = await send('configured', body, { ...signed, 'x-delivery-id': 'd1' })
  t.equal(first.status, 202)
  t.equal((await send('configured', body, { ...signed, 'x-delivery-id': 'd2' })).status, 202, 'the operator chose the header: a new value is a new event')
  t.equal((await send('configured', body, { ...signed, 'x-delivery-id': 'd1' })).status, 200)
})

t.test('an unverified source folds retries by the well-known headers', async (t) => {
  await source('plain', undefined)
  const first = await send('plain', '{}', { 'idempotency-key': 'abc' })
  t.same(await send('plain', '{"other":true}', { 'idempotency-key': 'abc' }), { status: 200, eventId: first.eventId })
})

t.test('keys are compared whole: long keys that share a prefix are different events', async (t) => {
  await source('long-keys', undefined)
  const base = 'k'.repeat(300)
  const a = await send('long-keys', '{}', { 'idempotency-key': `${base}-a` })
  const b = await send('long-keys', '{}', { 'idempotency-key': `${base}-b` })
  t.equal(a.status, 202)
  t.equal(b.status, 202, 'a key that differs only after 255 characters is another event')
  t.not(a.eventId, b.eventId)
  t.same(await send('long-keys', '{}', { 'idempotency-key': `${base}-a` }), { status: 200, eventId: a.eventId }, 'the same long key is a duplicate')
  const stored = (await relay.api(`/api/v1/events/${a.eventId}`)).body
  t.match(stored.idempotencyKey, /^sha256:[0-9a-f]{64}$/, 'stored as its digest')
})

t.test('duplicate keys within one group-commit batch: one event, the rest duplicates of it', async (t) => {
  await source('batch-dupes', undefined)
  const answers = await Promise.all(Array.from({ length: 20 }, () => send('batch-dupes', '{}', { 'idempotency-key': 'same' })))
  const accepted = answers.filter((a) => a.status === 202)
  t.equal(accepted.length, 1, 'one accepted')
  t.ok(answers.every((a) => a.eventId === accepted[0]!.eventId), 'every answer names it')
})

t.test('any Content-Type is stored as sent, even one a parser calls malformed', async (t) => {
  await source('types', undefined)
  for (const type of ['text/plain; charset', 'application/json;;', 'weird', 'a/b; x="unterminated', 'application/json; charset=utf-8', 'text/plain;charset=utf-8;boundary=']) {
    const res = await fetch(`${relay.url}/in/types`, { method: 'POST', body: 'raw bytes', headers: { 'content-type': type } })
    t.equal(res.status, 202, `${JSON.stringify(type)}: accepted`)
    const { eventId } = (await res.json()) as { eventId: string }
    const ev = (await relay.api(`/api/v1/events/${eventId}`)).body
    t.equal(ev.headers['content-type'], type, 'the header as sent')
    t.equal(ev.body, 'raw bytes', 'the body as sent')
  }
})

t.test('unknown and malformed slugs: 404, no metric series of their own', async (t) => {
  const metrics = async () => (await (await fetch(`${relay.metricsUrl}/metrics`)).text()).split('\n').filter((l) => l.startsWith('webhooks_received_total')).length
  const before = await metrics()
  const slugs = ['%00', '%FF%FE', 'UPPER', 'a'.repeat(150), '..', '%E2%80%AE', 'x%0Ay', 'unknown-but-valid', ...Array.from({ length: 200 }, (_, i) => `random-${i}`)]
  for (const slug of slugs) {
    const res = await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    // 404, or the router's own 400 (undecodable) / 414 (over its parameter length).
    t.ok([400, 404, 414].includes(res.status), `${slug.slice(0, 20)}: ${res.status}`)
  }
  t.ok((await metrics()) <= before + 1, 'at most one new series (the _unknown one), not one per slug')
})
