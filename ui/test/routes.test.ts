// The UI's routes over HTTP, without a browser: the sign-in gate on every page, CSRF
// refusal, security headers, validation errors rendered inline, and page render time
// with 100,000 events in the database (keyset paging, no OFFSET).
import t from 'tap'
import { fanOutEvents, TEST_ADMIN_TOKEN } from '@webhook-relay/core/testing'
import { csrfOf, UiClient } from './helpers/client.ts'
import { createUiTestEnv } from './env.ts'

const env = await createUiTestEnv('ui_routes')
t.teardown(() => env.close())
const relay = await env.start('api')
const SEEDED_EVENTS = 100_000
const PAGE_BUDGET_MS = 100

const PAGES = ['/ui/', '/ui/events', '/ui/sources', '/ui/sources/new', '/ui/deliveries', '/ui/dead-letters', '/ui/transforms', '/ui/transforms/new', '/ui/plugins', '/ui/overview/stats']

t.test('without a session: pages redirect to sign-in, forms get 401, htmx gets HX-Redirect', async (t) => {
  const anon = new UiClient(relay.url)
  for (const path of PAGES) {
    const res = await anon.get(path)
    t.equal(res.status, 303, path)
    t.match(res.headers.get('location'), /^\/ui\/login/, path)
  }
  const form = await anon.request('/ui/sources', { form: { 'source.name': 'x' } })
  t.equal(form.status, 401)
  const htmx = await anon.get('/ui/overview/stats', { 'hx-request': 'true' })
  t.equal(htmx.status, 401)
  t.equal(htmx.headers.get('hx-redirect'), '/ui/login?next=%2Fui%2Foverview%2Fstats')
  t.equal((await anon.get('/ui/static/app/ui.css')).status, 200, 'static files are open (the sign-in page needs them)')
  t.equal((await anon.get('/ui/static/htmx/htmx.min.js')).status, 200)
  t.equal((await anon.get('/ui/static/monaco/vs/loader.js')).status, 200)
})

t.test('sign-in: wrong secret 401, token accepted, next stays inside the UI', async (t) => {
  const c = new UiClient(relay.url)
  const wrong = await c.signIn('not-the-token')
  t.equal(wrong.status, 401)
  t.match(wrong.text, /not correct/)
  const off = await c.post('/ui/login', { secret: TEST_ADMIN_TOKEN, next: 'https://evil.example/' }, '/ui/login')
  t.equal(off.status, 303)
  t.equal(off.headers.get('location'), '/ui/', 'an outside next falls back to the overview')
  const cookie = off.headers.getSetCookie().find((x) => x.startsWith('relay_ui_session='))!
  t.match(cookie, /HttpOnly/)
  t.match(cookie, /SameSite=Lax/)
  t.match(cookie, /Path=\/ui/)
  t.notMatch(cookie, /Secure/, 'plain http: no Secure flag')
  for (const path of PAGES) t.equal((await c.get(path)).status, 200, path)
})

t.test('behind a TLS proxy the cookies are Secure', async (t) => {
  const c = new UiClient(relay.url)
  const login = await c.get('/ui/login', { 'x-forwarded-proto': 'https' })
  const res = await c.request('/ui/login', { form: { _csrf: csrfOf(login.text), secret: TEST_ADMIN_TOKEN }, headers: { 'x-forwarded-proto': 'https' } })
  t.equal(res.status, 303)
  t.match(res.headers.getSetCookie().find((x) => x.startsWith('relay_ui_session='))!, /Secure/)
})

t.test('a tampered session cookie is no session', async (t) => {
  const c = new UiClient(relay.url)
  await c.signIn(TEST_ADMIN_TOKEN)
  const v = c.cookies.get('relay_ui_session')!
  c.cookies.set('relay_ui_session', encodeURIComponent(JSON.stringify({ exp: Date.now() + 1e9 })) + v.slice(v.lastIndexOf('.')))
  t.equal((await c.get('/ui/sources')).status, 303)
})

t.test('CSRF: a form without the token, or with a wrong one, is refused with 403', async (t) => {
  const c = new UiClient(relay.url)
  await c.signIn(TEST_ADMIN_TOKEN)
  await c.get('/ui/sources/new')
  const none = await c.request('/ui/sources', { form: { 'source.name': 'A', 'source.slug': 'a', 'source.mode': 'active' } })
  t.equal(none.status, 403)
  t.match(none.text, /CSRF check failed/)
  const wrong = await c.request('/ui/sources', { form: { _csrf: 'forged', 'source.name': 'A', 'source.slug': 'a', 'source.mode': 'active' } })
  t.equal(wrong.status, 403)
  const header = await c.request('/ui/sources', { form: { 'source.name': 'A', 'source.slug': 'a', 'source.mode': 'active' }, headers: { 'x-csrf-token': 'forged', 'hx-request': 'true' } })
  t.equal(header.status, 403, 'htmx requests are checked too')
  t.equal((await env.query("SELECT 1 FROM sources WHERE slug = 'a'")).length, 0)
  const logout = await c.request('/ui/logout', { method: 'POST' })
  t.equal(logout.status, 403, 'even sign-out needs the token')
})

t.test('security headers: strict CSP on pages, no inline script anywhere', async (t) => {
  const c = new UiClient(relay.url)
  await c.signIn(TEST_ADMIN_TOKEN)
  const res = await c.get('/ui/transforms/new')
  const csp = res.headers.get('content-security-policy') ?? ''
  t.match(csp, /script-src 'self'(;|$)/)
  t.match(csp, /worker-src 'self'/)
  t.match(csp, /frame-ancestors 'none'/)
  t.equal(res.headers.get('x-content-type-options'), 'nosniff')
  t.equal(res.headers.get('cache-control'), 'no-store')
  const inline = [...res.text.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].filter((m) => !/type="application\/json"/.test(m[1]!))
  t.same(inline, [], 'every script has a src (the JSON config block is data)')
  t.notMatch(res.text, /\son[a-z]+="/, 'no inline event handlers')
})

t.test('forms: errors come back inline with 422; a bad id is a 404 page', async (t) => {
  const c = new UiClient(relay.url)
  await c.signIn(TEST_ADMIN_TOKEN)
  const bad = await c.post('/ui/sources', { 'source.name': '', 'source.slug': 'NO!', 'source.mode': 'active', 'verification.type': 'hmac', 'verification.secret': 's' }, '/ui/sources/new')
  t.equal(bad.status, 422)
  t.match(bad.text, /id="e-source.name">Name is required/)
  t.match(bad.text, /id="e-source.slug">Slug/)
  t.match(bad.text, /id="e-verification.header">Header is required/)
  const ok = await c.post('/ui/sources', { 'source.name': 'Shop', 'source.slug': 'shop', 'source.mode': 'record', 'source.enabled': 'on', 'verification.type': 'shopify', 'verification.secret': 'shpss_1' }, '/ui/sources/new')
  t.equal(ok.status, 303)
  const id = /sources\/([0-9a-f-]+)/.exec(ok.headers.get('location')!)![1]!
  const page = await c.get(`/ui/sources/${id}`)
  t.notMatch(page.text, /shpss_1/, 'the verification secret never reaches the page')
  t.match(page.text, /value="\*\*\*\*\*\*\*\*"/)
  const dup = await c.post('/ui/sources', { 'source.name': 'Again', 'source.slug': 'shop', 'source.mode': 'active' }, '/ui/sources/new')
  t.equal(dup.status, 422)
  t.match(dup.text, /Slug is already used/)
  const sub = await c.post(`/ui/sources/${id}/subscriptions`, { action: 'http-relay', 'config.url': 'ftp://x', enabled: 'on' }, `/ui/sources/${id}/subscriptions/new`)
  t.equal(sub.status, 422)
  t.match(sub.text, /id="e-config.url">URL/)
  const fields = await c.get('/ui/subscriptions/config-fields?action=http-relay', { 'hx-request': 'true' })
  t.match(fields.text, /name="config.url"/, 'the action picker swaps in that plugin\'s fields')
  t.equal((await c.get('/ui/sources/not-a-uuid')).status, 404)
  t.equal((await c.get('/ui/deliveries/00000000-0000-4000-8000-000000000000')).status, 404)
})

t.test('a subscription filter: refused with where the problem is, kept as typed; saved; a rejected event shows as filtered', async (t) => {
  const c = new UiClient(relay.url)
  await c.signIn(TEST_ADMIN_TOKEN)
  const src = (await relay.api('/api/v1/sources', { body: { name: 'Filtered', slug: 'filtered' } })).body
  const form = (filter: string) => ({ action: 'http-relay', 'config.url': 'http://127.0.0.1:9/hook', enabled: 'on', filter })
  const notJson = await c.post(`/ui/sources/${src.id}/subscriptions`, form('{ path: $.a }'), `/ui/sources/${src.id}/subscriptions/new`)
  t.equal(notJson.status, 422)
  t.match(notJson.text, /Filter: not JSON/)
  const wrong = await c.post(`/ui/sources/${src.id}/subscriptions`, form('{"all":[{"path":"type","equals":"a"}]}'), `/ui/sources/${src.id}/subscriptions/new`)
  t.equal(wrong.status, 422)
  t.match(wrong.text, /Filter: filter\.all\[0\]\.path: a path starts with \$/)
  t.match(wrong.text, /&#34;path&#34;:&#34;type&#34;|&quot;path&quot;:&quot;type&quot;/, 'the typed text is kept')
  const ok = await c.post(`/ui/sources/${src.id}/subscriptions`, form('{"path":"$.type","equals":"wanted"}'), `/ui/sources/${src.id}/subscriptions/new`)
  t.equal(ok.status, 303)
  const subId = /subscriptions\/([0-9a-f-]+)/.exec(ok.headers.get('location')!)![1]!
  t.same((await relay.api(`/api/v1/subscriptions/${subId}`)).body.filter, { path: '$.type', equals: 'wanted' })
  const edit = await c.get(`/ui/subscriptions/${subId}`)
  t.match(edit.text, /"path": "\$\.type"|&#34;path&#34;: &#34;\$\.type&#34;|&quot;path&quot;: &quot;\$\.type&quot;/, 'the edit form shows the saved filter')
  // No worker in this relay: fan the event out the way a worker would.
  const res = await fetch(`${relay.url}/in/filtered`, { method: 'POST', body: '{"type":"other"}', headers: { 'content-type': 'application/json' } })
  const { eventId } = (await res.json()) as { eventId: string }
  t.equal((await fanOutEvents({ db: relay.services.db, log: relay.log }, [eventId])).length, 0, 'no delivery')
  const page = await c.get(`/ui/events/${eventId}`)
  t.match(page.text, /<span class="badge filtered"[^>]*>filtered<\/span>/)
})

t.test('a rate limit on the form: refused with the reason, kept as typed; saved; shown with where it comes from and what it throttled', async (t) => {
  const c = new UiClient(relay.url)
  await c.signIn(TEST_ADMIN_TOKEN)
  const src = (await relay.api('/api/v1/sources', { body: { name: 'Paced', slug: 'paced' } })).body
  const form = (ratePerSecond: string, rateBurst = '') => ({ action: 'http-relay', 'config.url': 'http://127.0.0.1:9/hook', enabled: 'on', ratePerSecond, rateBurst })
  const newPath = `/ui/sources/${src.id}/subscriptions/new`
  const zero = await c.post(`/ui/sources/${src.id}/subscriptions`, form('0'), newPath)
  t.equal(zero.status, 422)
  t.match(zero.text, /Rate limit: perSecond: a number from 0\.001 to 10000/)
  t.match(zero.text, /name="ratePerSecond"[^>]*value="0"/, 'the typed value is kept')
  const burstOnly = await c.post(`/ui/sources/${src.id}/subscriptions`, form('', '3'), newPath)
  t.equal(burstOnly.status, 422)
  t.match(burstOnly.text, /Rate limit: give the rate per second with the burst/)
  const ok = await c.post(`/ui/sources/${src.id}/subscriptions`, form('2.5', '4'), newPath)
  t.equal(ok.status, 303)
  const subId = /subscriptions\/([0-9a-f-]+)/.exec(ok.headers.get('location')!)![1]!
  t.same((await relay.api(`/api/v1/subscriptions/${subId}`)).body.rateLimit, { perSecond: 2.5, burst: 4 })
  await env.query(`INSERT INTO traffic_attempts (span, minute, subscription_id, succeeded, failed, dead, skipped, throttled, latency)
    VALUES (1, date_trunc('minute', now()), $1, 0, 0, 0, 0, 17, '{}')`, [subId])
  const page = await c.get(`/ui/subscriptions/${subId}`)
  t.match(page.text, /id="rate-limit">2\.5\/s, burst 4 \(its own setting\) · 17 throttled in the last hour/)
  t.match(page.text, /name="ratePerSecond"[^>]*value="2\.5"/, 'the edit form shows the saved limit')
  const cleared = await c.post(`/ui/subscriptions/${subId}`, { 'config.url': 'http://127.0.0.1:9/hook', enabled: 'on', ratePerSecond: '', rateBurst: '' }, `/ui/subscriptions/${subId}`)
  t.equal(cleared.status, 303)
  t.equal((await relay.api(`/api/v1/subscriptions/${subId}`)).body.rateLimit, null, 'emptied: no limit of its own')
  t.notMatch((await c.get(`/ui/subscriptions/${subId}`)).text, /id="rate-limit"/, 'and http-relay has no default: no limit shown')
})

t.test('circuit breaker on the form: refused with the reason, saved, off; the page shows the state', async (t) => {
  const c = new UiClient(relay.url)
  await c.signIn(TEST_ADMIN_TOKEN)
  const src = (await relay.api('/api/v1/sources', { body: { name: 'Breaker', slug: 'breaker' } })).body
  const base = { action: 'http-relay', 'config.url': 'http://127.0.0.1:9/hook', enabled: 'on' }
  const newPath = `/ui/sources/${src.id}/subscriptions/new`
  const bad = await c.post(`/ui/sources/${src.id}/subscriptions`, { ...base, circuitFailures: '0' }, newPath)
  t.equal(bad.status, 422)
  t.match(bad.text, /Circuit breaker: failures: a whole number from 1 to 100000/)
  t.match(bad.text, /name="circuitFailures"[^>]*value="0"/, 'the typed value is kept')
  const ok = await c.post(`/ui/sources/${src.id}/subscriptions`, { ...base, circuitFailures: '4', circuitDisableHours: '0' }, newPath)
  t.equal(ok.status, 303)
  const subId = /subscriptions\/([0-9a-f-]+)/.exec(ok.headers.get('location')!)![1]!
  t.same((await relay.api(`/api/v1/subscriptions/${subId}`)).body.circuitBreaker, { failures: 4, disableAfterHours: 0 }, 'only what was set is stored')
  t.match((await c.get(`/ui/subscriptions/${subId}`)).text, /id="circuit">closed · opens after 4 failed attempts in a row/)
  await env.query(`INSERT INTO circuits (subscription_id, state, failing_since, opens, open_until, last_error) VALUES ($1, 'open', now(), 2, now() + interval '1 minute', 'HTTP 500')`, [subId])
  t.match((await c.get(`/ui/subscriptions/${subId}`)).text, /id="circuit"><span class="badge dead">open<\/span> since .* · next probe at .* · opened 2 times/)
  const off = await c.post(`/ui/subscriptions/${subId}`, { 'config.url': 'http://127.0.0.1:9/hook', enabled: 'on', circuitOff: 'on' }, `/ui/subscriptions/${subId}`)
  t.equal(off.status, 303)
  t.same((await relay.api(`/api/v1/subscriptions/${subId}`)).body.circuitBreaker, { enabled: false }, 'off, and the emptied fields back to the defaults')
})

t.test(`pages render in under ${PAGE_BUDGET_MS} ms with ${SEEDED_EVENTS} events`, async (t) => {
  const c = new UiClient(relay.url)
  await c.signIn(TEST_ADMIN_TOKEN)
  const [src] = await env.query<{ id: string }>(`INSERT INTO sources (id, name, slug, mode, enabled) VALUES (gen_random_uuid(), 'Load', 'load', 'record', true) RETURNING id`)
  // UUIDv7-shaped ids in time order, as the ingest path writes them.
  await env.query(`INSERT INTO events (id, source_id, received_at, content_type, headers, body, fanout_status)
    SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || lpad(to_hex(g % 4096), 3, '0') || '8' || lpad(to_hex(g), 15, '0'))::uuid,
      $1, ts, 'application/json', '{}'::jsonb, convert_to('{"n":' || g || '}', 'UTF8'), 'recorded'
    FROM generate_series(1, ${SEEDED_EVENTS}) g, LATERAL (SELECT now() - make_interval(secs => ${SEEDED_EVENTS} - g) AS ts) t`, [src!.id])
  await env.query('ANALYZE events')
  const timed = async (path: string) => {
    await c.get(path) // warm: plan cache, template cache
    const t0 = performance.now()
    const res = await c.get(path)
    return { ms: performance.now() - t0, res }
  }
  const first = await timed(`/ui/sources/${src!.id}/events`)
  t.equal(first.res.status, 200)
  const before = /events\?before=([0-9a-f-]+)/.exec(first.res.text)![1]!
  const deep = await timed(`/ui/sources/${src!.id}/events?before=${before}`)
  const overview = await timed('/ui/')
  const search = await timed(`/ui/sources/${src!.id}/events?q=%22n%22%3A99999`)
  // Every source's events (the Events page): ordered by the primary key, paged the same way.
  const all = await timed('/ui/events')
  t.match(all.res.text, /<th>Source<\/th>/)
  const allBefore = /events\?before=([0-9a-f-]+)/.exec(all.res.text)![1]!
  const allDeep = await timed(`/ui/events?before=${allBefore}`)
  // Previews are HTML-escaped: {"n":99950} is {&quot;n&quot;:99950} in the page.
  t.ok(allDeep.res.text.includes('&quot;n&quot;:99950}'), 'the second page continues where the first ended')
  const allSearch = await timed('/ui/events?q=%22n%22%3A99990')
  t.ok(allSearch.res.text.includes('&quot;n&quot;:99990}'), 'text search across sources')
  t.notOk(allSearch.res.text.includes('&quot;n&quot;:99991}'))
  for (const [name, r] of Object.entries({ first, deep, overview, search, all, allDeep, allSearch })) {
    t.ok(r.ms < PAGE_BUDGET_MS, `${name}: ${r.ms.toFixed(1)} ms`)
  }
  t.comment(`event log ${first.ms.toFixed(1)} ms, next page ${deep.ms.toFixed(1)} ms, overview ${overview.ms.toFixed(1)} ms, text search ${search.ms.toFixed(1)} ms`)
})
