// Server-side UI sessions: sign-out, a changed password or token, the idle timeout and the
// absolute expiry all end a session, even for a copied cookie; every api replica shares
// them; CSRF tokens are bound to the session they were rendered in; Redis holds no
// usable cookie.
import t from 'tap'
import { TEST_ADMIN_TOKEN } from '@webhook-relay/core/testing'
import { csrfOf, UiClient } from './helpers/client.ts'
import { createUiTestEnv } from './env.ts'

const PASSWORD = 'correct horse battery staple'

/** A second browser holding the same cookies: what a stolen cookie is. */
function copyOf(c: UiClient): UiClient {
  const copy = new UiClient(c.base)
  for (const [k, v] of c.cookies) copy.cookies.set(k, v)
  return copy
}

const signedIn = async (c: UiClient) => (await c.get('/ui/sources')).status === 200

t.test('sign-out ends the session for every copy of the cookie, on every replica', async (t) => {
  const env = await createUiTestEnv('ui_session_signout')
  t.teardown(() => env.close())
  const a = await env.start('api')
  const b = await env.start('api')
  const c = new UiClient(a.url)
  t.equal((await c.signIn(TEST_ADMIN_TOKEN)).status, 303)
  const stolen = copyOf(c)
  const onB = new UiClient(b.url)
  for (const [k, v] of c.cookies) onB.cookies.set(k, v)
  t.ok(await signedIn(stolen), 'the copied cookie works while the session lives')
  t.ok(await signedIn(onB), 'and on the other replica (sessions are in Redis)')

  t.equal((await c.post('/ui/logout', {})).status, 303)
  t.notOk(await signedIn(c), 'signed out')
  t.equal((await stolen.get('/ui/sources')).status, 303, 'the copied cookie is refused after sign-out')
  t.equal((await onB.get('/ui/sources')).status, 303, 'on the other replica too')
  t.equal((await stolen.get('/ui/overview/stats', { 'hx-request': 'true' })).status, 401, 'htmx polling with it gets 401')
})

t.test('a changed password or token ends every session opened before it', async (t) => {
  const env = await createUiTestEnv('ui_session_credentials', { RELAY_ADMIN_PASSWORD: PASSWORD, RELAY_SESSION_SECRET: 's'.repeat(40) })
  t.teardown(() => env.close())
  const before = await env.start('api')
  const c = new UiClient(before.url)
  t.equal((await c.signIn(PASSWORD)).status, 303)
  const token = new UiClient(before.url)
  t.equal((await token.signIn(TEST_ADMIN_TOKEN)).status, 303)

  // The admin redeploys with a new password: the replica started with it refuses both
  // sessions (whichever secret opened them), and deletes them so the old replica does too.
  const after = await env.start('api', { RELAY_ADMIN_PASSWORD: 'a new password for the relay' })
  for (const [name, client] of [['password', c], ['token', token]] as const) {
    const moved = new UiClient(after.url)
    for (const [k, v] of client.cookies) moved.cookies.set(k, v)
    t.equal((await moved.get('/ui/sources')).status, 303, `the ${name} session is refused under the new password`)
    t.equal((await client.get('/ui/sources')).status, 303, `and gone on the replica still running the old one`)
  }
  const fresh = new UiClient(after.url)
  t.equal((await fresh.signIn(PASSWORD)).status, 401, 'the old password no longer signs in')
  t.equal((await fresh.signIn('a new password for the relay')).status, 303)

  const rotated = await env.start('api', { RELAY_ADMIN_PASSWORD: 'a new password for the relay', RELAY_ADMIN_TOKEN: 'another-admin-token-9876543210' })
  const moved = new UiClient(rotated.url)
  for (const [k, v] of fresh.cookies) moved.cookies.set(k, v)
  t.equal((await moved.get('/ui/sources')).status, 303, 'a changed token ends sessions too')
})

t.test('idle timeout and absolute expiry end a session', async (t) => {
  const env = await createUiTestEnv('ui_session_expiry')
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const redis = env.redis()
  const sessionKeys = async () => redis.keys(`${env.redisPrefix}relay:v1:ui:session:*`)

  const idle = new UiClient(relay.url)
  await idle.signIn(TEST_ADMIN_TOKEN)
  const [idleKey] = await sessionKeys()
  const ttl = await redis.pttl(idleKey!)
  t.ok(ttl > 59 * 60_000 && ttl <= 3_600_000, `the record lives for the idle timeout (1h): ${ttl} ms`)
  await redis.pexpire(idleKey!, 1) // an hour without a request
  await new Promise((r) => setTimeout(r, 20))
  t.equal((await idle.get('/ui/sources')).status, 303, 'an idle session has ended')

  const old = new UiClient(relay.url)
  await old.signIn(TEST_ADMIN_TOKEN)
  const [oldKey] = await sessionKeys()
  const record = JSON.parse((await redis.get(oldKey!))!) as { expiresAt: number }
  await redis.set(oldKey!, JSON.stringify({ ...record, expiresAt: Date.now() - 1 }), 'KEEPTTL') // 12 h later
  t.equal((await old.get('/ui/sources')).status, 303, 'a session past its absolute expiry has ended, however recently used')
  t.same(await sessionKeys(), [], 'and its record is deleted')
})

t.test('CSRF tokens are bound to the session they were rendered in', async (t) => {
  const env = await createUiTestEnv('ui_session_csrf')
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const form = { 'source.name': 'Bound', 'source.slug': 'bound', 'source.mode': 'active' }

  const login = new UiClient(relay.url)
  const preSessionToken = csrfOf((await login.get('/ui/login')).text)
  await login.signIn(TEST_ADMIN_TOKEN)
  t.equal((await login.request('/ui/sources', { form: { _csrf: preSessionToken, ...form } })).status, 403, 'the sign-in page\'s token does not work once signed in')

  const one = new UiClient(relay.url)
  const two = new UiClient(relay.url)
  await one.signIn(TEST_ADMIN_TOKEN)
  await two.signIn(TEST_ADMIN_TOKEN)
  const tokenOfOne = csrfOf((await one.get('/ui/')).text)
  t.equal((await two.request('/ui/sources', { form: { _csrf: tokenOfOne, ...form } })).status, 403, 'a token from another session is refused')
  t.equal((await two.request('/ui/sources', { form: form, headers: { 'x-csrf-token': tokenOfOne, 'hx-request': 'true' } })).status, 403, 'in the htmx header too')
  t.not(csrfOf((await one.get('/ui/')).text), tokenOfOne, 'every page carries different bytes (masked)')
  t.equal((await one.request('/ui/sources', { form: { _csrf: tokenOfOne, ...form } })).status, 303, 'it works in its own session')

  await one.post('/ui/logout', {})
  await one.signIn(TEST_ADMIN_TOKEN)
  t.equal((await one.request('/ui/sources', { form: { _csrf: tokenOfOne, ...{ ...form, 'source.slug': 'bound-2' } } })).status, 403, 'nor after signing in again')
  t.equal((await env.query('SELECT 1 FROM sources')).length, 1, 'only the one form with its own token changed anything')
})

t.test('the sessions page lists and ends sessions; Redis holds no usable cookie', async (t) => {
  const env = await createUiTestEnv('ui_session_list')
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const me = new UiClient(relay.url)
  const other = new UiClient(relay.url)
  const third = new UiClient(relay.url)
  await me.signIn(TEST_ADMIN_TOKEN)
  await other.request('/ui/login') // a pre-session cookie only
  await other.signIn(TEST_ADMIN_TOKEN)
  await third.signIn(TEST_ADMIN_TOKEN)

  const list = await me.get('/ui/sessions')
  t.equal(list.status, 200)
  t.equal((list.text.match(/name="session" value="[0-9a-f]{64}"/g) ?? []).length, 3, 'three sessions listed')
  t.match(list.text, /Sign out \(this browser\)/)

  const redis = env.redis()
  const dump = JSON.stringify(await Promise.all((await redis.keys(`${env.redisPrefix}relay:v1:ui:*`)).map(async (k) => [k, (await redis.type(k)) === 'string' ? await redis.get(k) : await redis.zrange(k, '0', '-1')])))
  for (const c of [me, other, third]) {
    const cookie = decodeURIComponent(c.cookies.get('relay_ui_session')!)
    const id = cookie.slice(0, cookie.lastIndexOf('.'))
    t.ok(id.length >= 43 && !dump.includes(id), 'the session id is not in Redis')
  }

  const otherHash = [...list.text.matchAll(/name="session" value="([0-9a-f]{64})"/g)].map((m) => m[1]!)
  const mine = /name="session" value="([0-9a-f]{64})">\s*<button[^>]*>Sign out \(this browser\)/.exec(list.text)![1]
  const victim = otherHash.find((h) => h !== mine)!
  t.equal((await me.post('/ui/sessions/end', { session: victim }, '/ui/sessions')).status, 303)
  const stillIn = [await signedIn(other), await signedIn(third)].filter(Boolean).length
  t.equal(stillIn, 1, 'the session ended there is signed out, the other is not')

  t.equal((await me.post('/ui/sessions/end', { session: 'others' }, '/ui/sessions')).status, 303)
  t.notOk(await signedIn(other))
  t.notOk(await signedIn(third))
  t.ok(await signedIn(me), 'ending every other session keeps mine')
  t.equal((await me.post('/ui/sessions/end', { session: mine! }, '/ui/sessions')).headers.get('location'), '/ui/login', 'ending my own signs me out')
  t.notOk(await signedIn(me))
})
