// Sign-in attempts are limited per client address, counted in Redis (shared by api
// replicas), and the client address comes from X-Forwarded-For only when
// RELAY_TRUST_PROXY says the proxy is trusted.
import t from 'tap'
import { createTestEnv, TEST_ADMIN_TOKEN } from '../../core/src/testing/index.ts'
import { UiClient } from './helpers/client.ts'

t.test('the fourth attempt in the window is refused with 429 and Retry-After, even with the right secret', async (t) => {
  const env = await createTestEnv('ui_signin_limit', { RELAY_UI_SIGN_IN_LIMIT: '3' })
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const c = new UiClient(relay.url)
  for (let i = 0; i < 3; i++) t.equal((await c.signIn('wrong-secret-guess')).status, 401, `guess ${i + 1} is judged`)
  const over = await c.signIn(TEST_ADMIN_TOKEN)
  t.equal(over.status, 429)
  t.match(over.text, /Too many sign-in attempts from your address\. Try again in \d+ minutes?/)
  t.match(over.text, /name="secret"/, 'said on the sign-in card, not on a signed-in page')
  t.notMatch(over.text, /Sign out/)
  t.ok(Number(over.headers.get('retry-after')) > 0, `Retry-After ${over.headers.get('retry-after')}`)
  t.equal((await c.get('/ui/sources')).status, 303, 'no session was started')

  // A second api replica (same Redis) sees the same count.
  const second = await env.start('api')
  t.equal((await new UiClient(second.url).signIn(TEST_ADMIN_TOKEN)).status, 429, 'the count is shared through Redis')
})

t.test('behind a trusted proxy each client address has its own count', async (t) => {
  const env = await createTestEnv('ui_signin_proxy', { RELAY_UI_SIGN_IN_LIMIT: '2', RELAY_TRUST_PROXY: '127.0.0.1/32' })
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const from = (ip: string) => ({ 'x-forwarded-for': ip })
  const c = new UiClient(relay.url)
  const attempt = (ip: string, secret = 'wrong-secret-guess') => c.request('/ui/login', { form: { secret }, headers: from(ip) })
  // The CSRF check runs after the limiter, so these count without a token (and get 403).
  t.equal((await attempt('203.0.113.7')).status, 403)
  t.equal((await attempt('203.0.113.7')).status, 403)
  t.equal((await attempt('203.0.113.7')).status, 429, 'the third from one client is refused')
  t.equal((await attempt('198.51.100.9')).status, 403, 'another client behind the same proxy is not')
})

t.test('without RELAY_TRUST_PROXY, X-Forwarded-For is ignored (it could be forged)', async (t) => {
  const env = await createTestEnv('ui_signin_noproxy', { RELAY_UI_SIGN_IN_LIMIT: '2' })
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const c = new UiClient(relay.url)
  const attempt = (ip: string) => c.request('/ui/login', { form: { secret: 'x' }, headers: { 'x-forwarded-for': ip } })
  await attempt('203.0.113.1')
  await attempt('203.0.113.2')
  t.equal((await attempt('203.0.113.3')).status, 429, 'a new forged address does not reset the count')
})
