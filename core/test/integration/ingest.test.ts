// Ingest as a sender sees it: status codes, bodies kept byte for byte, idempotency,
// signatures, record mode, size limits.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('ingest')
t.teardown(() => env.close())
const relay = await env.start('api')

const src = (await relay.api('/api/v1/sources', { body: { name: 'Rec', slug: 'rec', mode: 'record' } })).body
const post = (slug: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${relay.url}/in/${slug}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })

t.test('a webhook to a record-mode source is stored byte for byte and answered 202', async (t) => {
  const res = await post('rec', '{"a": 1,  "spaces": "kept"}', { 'x-custom': 'yes' })
  t.equal(res.status, 202)
  const { eventId } = (await res.json()) as { eventId: string }
  const ev = (await relay.api(`/api/v1/events/${eventId}`)).body
  t.equal(ev.body, '{"a": 1,  "spaces": "kept"}')
  t.equal(ev.headers['x-custom'], 'yes')
  t.equal(ev.fanoutStatus, 'recorded')
  t.same(ev.deliveries, [])
})

t.test('binary and non-JSON bodies are kept exactly', async (t) => {
  const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13])
  const res = await fetch(`${relay.url}/in/rec`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } })
  t.equal(res.status, 202)
  const { eventId } = (await res.json()) as { eventId: string }
  const [row] = await env.query<{ body: Buffer; content_type: string }>('SELECT body, content_type FROM events WHERE id = $1', [eventId])
  t.same(row!.body, bytes)
  t.equal(row!.content_type, 'application/octet-stream')
  const form = await fetch(`${relay.url}/in/rec`, { method: 'POST', body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.status, 202)
  const empty = await fetch(`${relay.url}/in/rec`, { method: 'POST' })
  t.equal(empty.status, 202, 'an empty body without a content type is accepted')
})

t.test('malformed JSON is accepted as bytes (the relay does not parse at ingest)', async (t) => {
  const res = await post('rec', '{"broken": ')
  t.equal(res.status, 202)
})

t.test('unknown slug is 404 with a JSON error', async (t) => {
  const res = await post('nope', '{}')
  t.equal(res.status, 404)
  const body = (await res.json()) as { code: string; message: string; error: string }
  t.equal(body.code, 'RELAY_ERR_SOURCE_NOT_FOUND')
  t.equal(body.error, 'Not Found', 'the documented error shape: statusCode, code, error, message')
  t.notMatch(JSON.stringify(body), /at .*\.ts/, 'no stack trace')
})

t.test('oversize payloads are 413, declared or chunked, per-source limit honoured', async (t) => {
  const small = (await relay.api('/api/v1/sources', { body: { name: 'Small', slug: 'small', mode: 'record', maxBodyBytes: 100 } })).body
  t.equal(small.maxBodyBytes, 100)
  t.equal((await post('small', 'x'.repeat(100))).status, 202)
  t.equal((await post('small', 'x'.repeat(101))).status, 413)
  // A chunked upload declares no length: the limit is enforced while reading.
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('y'.repeat(50)))
      c.close()
    },
  })
  const chunked = await fetch(`${relay.url}/in/small`, { method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'text/plain' } } as RequestInit)
  t.equal(chunked.status, 413)
  const big = await post('rec', Buffer.alloc(1024 * 1024 + 1, 'z'))
  t.equal(big.status, 413, 'default limit is 1 MiB')
  const [{ n }] = (await env.query<{ n: number }>("SELECT count(*)::int AS n FROM events e JOIN sources s ON s.id = e.source_id WHERE s.slug = 'small'")) as [{ n: number }]
  t.equal(n, 1, 'nothing oversize was stored')
})

t.test('idempotency: the same key answers 200 with the original id', async (t) => {
  const first = await post('rec', '{"n":1}', { 'x-github-delivery': 'gh-123' })
  t.equal(first.status, 202)
  const { eventId } = (await first.json()) as { eventId: string }
  const again = await post('rec', '{"n":1}', { 'x-github-delivery': 'gh-123' })
  t.equal(again.status, 200)
  t.same(await again.json(), { eventId, duplicate: true })
  // Concurrent duplicates land in one group commit: still one row.
  const results = await Promise.all(Array.from({ length: 20 }, () => post('rec', '{}', { 'idempotency-key': 'same-key' })))
  const ids = new Set(await Promise.all(results.map(async (r) => ((await r.json()) as { eventId: string }).eventId)))
  t.equal(ids.size, 1)
  t.equal(results.filter((r) => r.status === 202).length, 1)
  const stripe = await relay.api('/api/v1/sources', { body: { name: 'S', slug: 'stripe-ish', mode: 'record', idempotencyHeader: 'body:id' } })
  t.equal(stripe.status, 201)
  const a = await post('stripe-ish', '{"id":"evt_1","type":"x"}')
  const b = await post('stripe-ish', '{"id":"evt_1","type":"x"}')
  t.equal(a.status, 202)
  t.equal(b.status, 200, 'body:id takes the key from the JSON body')
})

t.test('signature verification: 401 and not stored when bad, 202 when good', async (t) => {
  const secret = 'gh-secret'
  const res = await relay.api('/api/v1/sources', { body: { name: 'GH', slug: 'gh', mode: 'record', verification: { type: 'github', secret } } })
  t.equal(res.status, 201)
  t.equal(res.body.verification.secret, '********', 'the secret is never returned')
  const [stored] = await env.query<{ verification: { secret: string } }>("SELECT verification FROM sources WHERE slug = 'gh'")
  t.match(stored!.verification.secret, /^enc:v2:[0-9a-f]{16}\./, 'the secret is sealed at rest')
  const body = '{"zen":"Keep it logically awesome."}'
  const sig = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')
  t.equal((await post('gh', body, { 'x-hub-signature-256': sig })).status, 202)
  const bad = await post('gh', body + ' ', { 'x-hub-signature-256': sig })
  t.equal(bad.status, 401)
  t.match(((await bad.json()) as { message: string }).message, /signature/i)
  t.equal((await post('gh', body)).status, 401, 'missing signature')
  const [{ n }] = (await env.query<{ n: number }>("SELECT count(*)::int AS n FROM events e JOIN sources s ON s.id = e.source_id WHERE s.slug = 'gh'")) as [{ n: number }]
  t.equal(n, 1)
})

t.test('a disabled source answers 404', async (t) => {
  const s = (await relay.api('/api/v1/sources', { body: { name: 'Off', slug: 'off', enabled: false } })).body
  t.equal((await post('off', '{}')).status, 404)
  await relay.api(`/api/v1/sources/${s.id}`, { method: 'PATCH', body: { enabled: true } })
  t.equal((await post('off', '{}')).status, 202)
})

t.test('group commit: a burst becomes few INSERTs, every request answered', async (t) => {
  const before = await relay.metrics.ingestBatchSize.get()
  const n = 200
  const res = await Promise.all(Array.from({ length: n }, (_, i) => post('rec', JSON.stringify({ i }))))
  t.ok(res.every((r) => r.status === 202))
  const after = await relay.metrics.ingestBatchSize.get()
  const count = (m: typeof after) => m.values.find((v) => v.metricName === 'ingest_batch_size_count')?.value ?? 0
  const batches = count(after) - count(before)
  t.ok(batches < n, `200 requests took ${batches} INSERTs`)
})

t.ok(src.id)
