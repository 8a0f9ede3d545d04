// Failed sign-ins are limited per client address, counted in Redis (shared by api
// replicas); successes do not count; the client address comes from X-Forwarded-For only
// when RELAY_TRUST_PROXY says the proxy is trusted; without Redis sign-in is refused.
import t from 'tap'
import { tcpProxy, TEST_ADMIN_TOKEN } from '@webhook-relay/core/testing'
import { UiClient } from './helpers/client.ts'
import { createUiTestEnv } from './env.ts'

t.test('after three failures the fourth attempt is refused with 429 and Retry-After, even with the right secret', async (t) => {
  const env = await createUiTestEnv('ui_signin_limit', { RELAY_UI_SIGN_IN_LIMIT: '3' })
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const c = new UiClient(relay.url)
  for (let i = 0; i < 3; i++) t.equal((await c.signIn('wrong-secret-guess')).status, 401, `guess ${i + 1} is judged`)
  const over = await c.signIn(TEST_ADMIN_TOKEN)
  t.equal(over.status, 429)
  t.match(over.text, /Too many failed sign-in attempts from your address\. Try again in \d+ minutes?/)
  t.match(over.text, /name="secret"/, 'said on the sign-in card, not on a signed-in page')
  t.notMatch(over.text, /Sign out/)
  const retryAfter = Number(over.headers.get('retry-after'))
  t.ok(retryAfter > 0 && retryAfter <= 300, `Retry-After ${retryAfter}`)
  t.equal((await c.get('/ui/sources')).status, 303, 'no session was started')

  // A second api replica (same Redis) sees the same count.
  const second = await env.start('api')
  t.equal((await new UiClient(second.url).signIn(TEST_ADMIN_TOKEN)).status, 429, 'the count is shared through Redis')
})

t.test('only failures count: signing in many times never locks the admin out', async (t) => {
  const env = await createUiTestEnv('ui_signin_success', { RELAY_UI_SIGN_IN_LIMIT: '2' })
  t.teardown(() => env.close())
  const relay = await env.start('api')
  for (let i = 0; i < 6; i++) t.equal((await new UiClient(relay.url).signIn(TEST_ADMIN_TOKEN)).status, 303, `sign-in ${i + 1}`)
  const c = new UiClient(relay.url)
  t.equal((await c.signIn('wrong-secret-guess')).status, 401, 'one failure after six successes is still judged')
  t.equal((await c.signIn(TEST_ADMIN_TOKEN)).status, 303)
  // A form without its CSRF token is refused before the secret is judged: not a guess.
  for (let i = 0; i < 3; i++) t.equal((await c.request('/ui/login', { form: { secret: 'no-token-guess' } })).status, 403)
  t.equal((await new UiClient(relay.url).signIn(TEST_ADMIN_TOKEN)).status, 303, 'CSRF refusals did not count')
})

t.test('behind a trusted proxy each client address has its own count', async (t) => {
  const env = await createUiTestEnv('ui_signin_proxy', { RELAY_UI_SIGN_IN_LIMIT: '2', RELAY_TRUST_PROXY: '127.0.0.1/32' })
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const c = new UiClient(relay.url)
  const attempt = (ip: string, secret = 'wrong-secret-guess') => c.post('/ui/login', { secret }, '/ui/login', { 'x-forwarded-for': ip })
  t.equal((await attempt('203.0.113.7')).status, 401)
  t.equal((await attempt('203.0.113.7')).status, 401)
  t.equal((await attempt('203.0.113.7', TEST_ADMIN_TOKEN)).status, 429, 'the third from one client is refused')
  t.equal((await attempt('198.51.100.9')).status, 401, 'another client behind the same proxy is still judged')
  t.equal((await attempt('198.51.100.9', TEST_ADMIN_TOKEN)).status, 303)
})

t.test('without RELAY_TRUST_PROXY, X-Forwarded-For is ignored (it could be forged)', async (t) => {
  const env = await createUiTestEnv('ui_signin_noproxy', { RELAY_UI_SIGN_IN_LIMIT: '2' })
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const c = new UiClient(relay.url)
  const attempt = (ip: string, secret = 'x-wrong-guess') => c.post('/ui/login', { secret }, '/ui/login', { 'x-forwarded-for': ip })
  await attempt('203.0.113.1')
  await attempt('203.0.113.2')
  t.equal((await attempt('203.0.113.3', TEST_ADMIN_TOKEN)).status, 429, 'a new forged address does not reset the count')
})

t.test('Redis down: sign-in fails closed with 503, and works again when Redis is back', async (t) => {
  const env = await createUiTestEnv('ui_signin_redis_down', { RELAY_UI_SIGN_IN_LIMIT: '3' })
  t.teardown(() => env.close())
  const redis = await tcpProxy(6379)
  t.teardown(() => redis.cut())
  const relay = await env.start('api', { REDIS_URL: `redis://127.0.0.1:${redis.port}` })
  const c = new UiClient(relay.url)
  const login = await c.get('/ui/login')
  const admin = new UiClient(relay.url)
  t.equal((await admin.signIn(TEST_ADMIN_TOKEN)).status, 303)
  await redis.cut()
  await new Promise((r) => setTimeout(r, 200))
  for (const secret of ['wrong-secret-guess', TEST_ADMIN_TOKEN]) {
    const res = await c.request('/ui/login', { form: { _csrf: /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!, secret } })
    t.equal(res.status, 503, `${secret === TEST_ADMIN_TOKEN ? 'the right' : 'a wrong'} secret is refused while Redis is down`)
    t.match(res.text, /Redis, which holds its sessions, is not answering/)
    t.notMatch(res.text, /Sign out/)
  }
  const page = await admin.get('/ui/sources')
  t.equal(page.status, 503, 'a signed-in page too: its session cannot be checked')
  t.match(page.text, /Redis, which holds its sessions, is not answering/)
  await redis.restore()
  let status = 0
  for (let i = 0; i < 50 && status !== 303; i++) {
    await new Promise((r) => setTimeout(r, 200))
    status = (await c.signIn(TEST_ADMIN_TOKEN)).status
  }
  t.equal(status, 303, 'signed in once Redis is back')
  t.equal((await c.get('/ui/sources')).status, 200)
})
