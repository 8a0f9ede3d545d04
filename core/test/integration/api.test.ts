// The REST contract as a client sees it: auth, shapes, validation errors with paths,
// secrets masked, signing secret shown once, rotation, paging, plugins, transforms.
import t from 'tap'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('api')
t.teardown(() => env.close())
const relay = await env.start('all')
const sub = await startSubscriber()
t.teardown(() => sub.close())

t.test('every /api/v1 route needs the bearer token', async (t) => {
  for (const path of ['/api/v1/sources', '/api/v1/plugins', '/api/v1/deliveries']) {
    const res = await fetch(`${relay.url}${path}`)
    t.equal(res.status, 401, path)
    t.equal(((await res.json()) as { code: string }).code, 'RELAY_ERR_UNAUTHORIZED')
    const wrong = await fetch(`${relay.url}${path}`, { headers: { authorization: 'Bearer nope' } })
    t.equal(wrong.status, 401)
  }
  t.equal((await fetch(`${relay.url}/healthz`)).status, 200, 'health is open')
  t.equal((await fetch(`${relay.url}/readyz`)).status, 200)
  t.equal((await fetch(`${relay.url}/api/docs/json`)).status, 200, 'OpenAPI document is served')
})

t.test('OpenAPI lists the public routes', async (t) => {
  const doc = (await (await fetch(`${relay.url}/api/docs/json`)).json()) as { paths: Record<string, unknown> }
  for (const p of ['/api/v1/sources', '/api/v1/subscriptions', '/api/v1/events/{id}', '/api/v1/deliveries/{id}', '/api/v1/plugins', '/api/v1/transforms']) {
    t.ok(doc.paths[p], p)
  }
  t.same(Object.keys(doc.paths).filter((p) => p.startsWith('/ui')), [], 'no admin UI route in the API document')
})

t.test('sources: create, get, list, update, delete; bad input is 400 naming the field', async (t) => {
  const created = await relay.api('/api/v1/sources', { body: { name: 'GitHub', slug: 'github', verification: { type: 'github', secret: 's3cret' } } })
  t.equal(created.status, 201)
  t.match(created.body, { name: 'GitHub', slug: 'github', mode: 'active', enabled: true, ingestUrl: /\/in\/github$/ })
  t.equal(created.body.verification.secret, '********')
  const dup = await relay.api('/api/v1/sources', { body: { name: 'Again', slug: 'github' } })
  t.equal(dup.status, 409)
  const bad = await relay.api('/api/v1/sources', { body: { name: 'Bad', slug: 'Not A Slug!' } })
  t.equal(bad.status, 400)
  t.match(bad.body.message, /slug/)
  const badMode = await relay.api('/api/v1/sources', { body: { name: 'Bad', slug: 'bad', mode: 'sometimes' } })
  t.equal(badMode.status, 400)
  t.equal((await relay.api(`/api/v1/sources/${created.body.id}`)).body.slug, 'github')
  const patched = await relay.api(`/api/v1/sources/${created.body.id}`, { method: 'PATCH', body: { mode: 'record', verification: { type: 'github', secret: '********' } } })
  t.equal(patched.body.mode, 'record')
  const [row] = await env.query<{ verification: { secret: string } }>('SELECT verification FROM sources WHERE id = $1', [created.body.id])
  t.match(row!.verification.secret, /^enc:v2:[0-9a-f]{16}\./, 'a masked secret sent back keeps the stored one')
  t.equal((await relay.api('/api/v1/sources')).body.items.length, 1)
  t.equal((await relay.api(`/api/v1/sources/${created.body.id}`, { method: 'DELETE' })).status, 204)
  t.equal((await relay.api(`/api/v1/sources/${created.body.id}`)).status, 404)
  t.equal((await relay.api('/api/v1/sources/not-a-uuid')).status, 400)
})

t.test('subscriptions: config validated against the plugin schema; signing secret shown once; rotation', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'S', slug: 'subs' } })).body
  const unknown = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'carrier-pigeon', config: {} } })
  t.equal(unknown.status, 400)
  t.equal(unknown.body.code, 'RELAY_ERR_PLUGIN_NOT_FOUND')
  const invalid = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: 'not a url', timeoutMs: 5 } } })
  t.equal(invalid.status, 400)
  t.equal(invalid.body.code, 'RELAY_ERR_INVALID_CONFIG')
  t.match(invalid.body.message, /\/url|\/timeoutMs/, 'the error names the schema path')
  const noSource = await relay.api('/api/v1/subscriptions', { body: { sourceId: '00000000-0000-4000-8000-000000000000', action: 'http-relay', config: { url: 'https://example.com' } } })
  t.equal(noSource.status, 404)

  const created = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/rot` } } })
  t.equal(created.status, 201)
  t.match(created.body.signingSecret, /^whsec_/)
  const again = await relay.api(`/api/v1/subscriptions/${created.body.id}`)
  t.notOk('signingSecret' in again.body, 'not shown after creation')
  t.equal(again.body.signingSecrets.length, 1)

  const rotated = await relay.api(`/api/v1/subscriptions/${created.body.id}/rotate-secret`, { body: { graceSeconds: 3600 } })
  t.equal(rotated.status, 200)
  t.not(rotated.body.signingSecret, created.body.signingSecret)
  t.equal(rotated.body.signingSecrets.length, 2)
  await fetch(`${relay.url}/in/subs`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  await eventually(() => sub.to('/rot').length === 1, 'a delivery')
  const sigs = String(sub.to('/rot')[0]!.headers['webhook-signature']).split(' ')
  t.equal(sigs.length, 2, 'during the grace period both secrets sign')

  const [row] = await env.query<{ signing_secrets: { secret: string }[] }>('SELECT signing_secrets FROM subscriptions WHERE id = $1', [created.body.id])
  t.ok(row!.signing_secrets.every((s) => s.secret.startsWith('enc:v2:')), 'signing secrets are sealed at rest')
  const list = await relay.api(`/api/v1/subscriptions?sourceId=${source.id}`)
  t.equal(list.body.items.length, 1)
  const off = await relay.api(`/api/v1/subscriptions/${created.body.id}`, { method: 'PATCH', body: { enabled: false } })
  t.equal(off.body.enabled, false)
  t.same(created.body.warnings, [], 'a receiver the guard lets through: no warnings')
})

t.test('subscriptions: a URL the SSRF guard will refuse is saved with a warning naming RELAY_EGRESS_ALLOW', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'Warned', slug: 'warned' } })).body
  const created = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: 'http://169.254.169.254/latest' } } })
  t.equal(created.status, 201, 'saved all the same')
  t.equal(created.body.warnings.length, 1)
  t.match(created.body.warnings[0], /^config\.url: 169\.254\.169\.254 is a private, loopback, link-local or reserved address.*RELAY_EGRESS_ALLOW/)
  const patched = await relay.api(`/api/v1/subscriptions/${created.body.id}`, { method: 'PATCH', body: { config: { url: 'http://10.0.0.7:8080/' } } })
  t.match(patched.body.warnings, [/^config\.url: 10\.0\.0\.7 is a private/])
  const fixed = await relay.api(`/api/v1/subscriptions/${created.body.id}`, { method: 'PATCH', body: { config: { url: `${sub.url}/ok` } } })
  t.same(fixed.body.warnings, [])
})

t.test('events: paging newest first', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'P', slug: 'paging', mode: 'record' } })).body
  for (let i = 0; i < 5; i++) await fetch(`${relay.url}/in/paging`, { method: 'POST', body: JSON.stringify({ i }), headers: { 'content-type': 'application/json' } })
  const page1 = await relay.api(`/api/v1/events?sourceId=${source.id}&limit=3`)
  t.equal(page1.body.items.length, 3)
  t.ok(page1.body.nextBefore)
  const page2 = await relay.api(`/api/v1/events?sourceId=${source.id}&limit=3&before=${page1.body.nextBefore}`)
  t.equal(page2.body.items.length, 2)
  const all = [...page1.body.items, ...page2.body.items]
  t.equal(new Set(all.map((e: { id: string }) => e.id)).size, 5)
  const first = await relay.api(`/api/v1/events/${all[4].id}`)
  t.equal(first.body.body, '{"i":0}', 'the oldest comes last')
})

t.test('plugins: installed actions with their schemas', async (t) => {
  const { body } = await relay.api('/api/v1/plugins')
  const http = body.items.find((p: { name: string }) => p.name === 'http-relay')
  t.ok(http)
  t.equal(http.apiVersion, 1)
  t.ok(http.configSchema.properties.url)
})

t.test('transforms: versioned scripts, test endpoint, and a transformed delivery', async (t) => {
  const created = await relay.api('/api/v1/transforms', { body: { name: 'shape', code: 'function transform(e) { return { text: "push to " + e.body.repo } }' } })
  t.equal(created.status, 201)
  t.equal(created.body.version, 1)
  const v2 = await relay.api(`/api/v1/transforms/${created.body.id}/versions`, { body: { code: 'function transform(e) { console.log("seen", e.body.repo); return { text: "pushed " + e.body.repo } }' } })
  t.equal(v2.body.version, 2)
  const versions = await relay.api(`/api/v1/transforms/${created.body.id}/versions`)
  t.same(versions.body.items.map((v: { version: number }) => v.version), [2, 1])

  const tested = await relay.api('/api/v1/transforms/test', { body: { code: v2.body.code, payload: { body: { repo: 'relay' } } } })
  t.equal(tested.body.kind, 'payload')
  t.same(JSON.parse(tested.body.output.body), { text: 'pushed relay' })
  t.match(tested.body.logs[0].message, /seen relay/)
  const broken = await relay.api('/api/v1/transforms/test', { body: { code: 'function transform(e) {\n  return e.body.nope.deeper\n}', payload: { body: {} } } })
  t.equal(broken.body.kind, 'error')
  t.equal(broken.body.error.line, 2, 'the error carries its line')

  const source = (await relay.api('/api/v1/sources', { body: { name: 'T', slug: 'transformed' } })).body
  const s = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/shaped` }, transformVersionId: v2.body.versionId } })
  t.equal(s.status, 201)
  const skip = await relay.api('/api/v1/transforms', { body: { name: 'drop', code: 'function transform(e) { return null }' } })
  const s2 = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/never` }, transformVersionId: skip.body.versionId } })
  t.equal(s2.status, 201)
  const res = await fetch(`${relay.url}/in/transformed`, { method: 'POST', body: '{"repo":"webhook-relay"}', headers: { 'content-type': 'application/json' } })
  const { eventId } = (await res.json()) as { eventId: string }
  await eventually(() => sub.to('/shaped').length === 1, 'the transformed delivery')
  t.same(JSON.parse(sub.to('/shaped')[0]!.body.toString()), { text: 'pushed webhook-relay' })
  const ds = await eventually(async () => {
    const d = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries
    return d.every((x: { status: string }) => x.status !== 'pending' && x.status !== 'delivering') ? d : null
  }, 'deliveries to settle')
  t.same(ds.map((d: { status: string }) => d.status).sort(), ['skipped', 'succeeded'], 'a null transform is recorded as skipped')
  t.equal(sub.to('/never').length, 0)
})
