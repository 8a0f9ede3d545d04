// Boot configuration: a bad value stops boot naming the variable; development generates
// what production requires.
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/config.ts'

const key = Buffer.alloc(32, 7).toString('base64')

t.test('defaults', async (t) => {
  const c = loadConfig({ RELAY_ADMIN_TOKEN: 'x'.repeat(20), RELAY_ENCRYPTION_KEY: key })
  t.equal(c.port, 8080)
  t.equal(c.role, undefined)
  t.same(c.egressAllow, [])
  t.same(c.retry.scheduleMs, [5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 504e5, 72e6, 864e5], 'Standard Webhooks-like schedule')
  t.equal(c.maxBodyBytes, 1024 * 1024)
})

t.test('a bad value names the variable', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT="eighty"/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ RELAY_ROLE: 'both' }, /RELAY_ROLE/],
    [{ RELAY_RETRY_SCHEDULE: '5s,soon' }, /RELAY_RETRY_SCHEDULE: "soon" is not a duration/],
    [{ RELAY_EGRESS_ALLOW: '127.0.0.1' }, /RELAY_EGRESS_ALLOW: "127.0.0.1" is not a CIDR/],
    [{ RELAY_ENCRYPTION_KEY: 'c2hvcnQ=' }, /RELAY_ENCRYPTION_KEY must be 32 bytes/],
    [{ RELAY_ADMIN_TOKEN: 'short' }, /RELAY_ADMIN_TOKEN/],
  ]
  for (const [env, msg] of cases) {
    t.throws(() => loadConfig({ RELAY_ADMIN_TOKEN: 'x'.repeat(20), RELAY_ENCRYPTION_KEY: key, ...env }), { name: 'ConfigError', message: msg }, JSON.stringify(env))
  }
})

t.test('development generates the token and key; production requires them', async (t) => {
  const dev = loadConfig({})
  t.ok(dev.generated.adminToken && dev.adminToken === dev.generated.adminToken)
  t.equal(dev.encryptionKey.length, 32)
  t.throws(() => loadConfig({ NODE_ENV: 'production', RELAY_ENCRYPTION_KEY: key }), new ConfigError('RELAY_ADMIN_TOKEN is required when NODE_ENV=production'))
  t.throws(() => loadConfig({ NODE_ENV: 'production', RELAY_ADMIN_TOKEN: 'x'.repeat(20) }), /RELAY_ENCRYPTION_KEY is required/)
})

t.test('lists are split and trimmed', async (t) => {
  const c = loadConfig({ RELAY_PLUGINS: ' @a/b , ./c ', RELAY_EGRESS_ALLOW: '127.0.0.0/8, ::1/128' })
  t.same(c.plugins, ['@a/b', './c'])
  t.same(c.egressAllow, ['127.0.0.0/8', '::1/128'])
})

t.test('RELAY_TRUST_PROXY: none, any, hop count or CIDRs; anything else names the variable', async (t) => {
  const base = { NODE_ENV: 'test', RELAY_ADMIN_TOKEN: 'x'.repeat(16), RELAY_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') }
  t.equal(loadConfig(base).trustProxy, false)
  t.equal(loadConfig({ ...base, RELAY_TRUST_PROXY: 'true' }).trustProxy, true)
  t.same(loadConfig({ ...base, RELAY_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1'])
  const hops = loadConfig({ ...base, RELAY_TRUST_PROXY: '1' }).trustProxy as (a: string, hop: number) => boolean
  t.same([hops('10.0.0.1', 0), hops('10.0.0.2', 1)], [true, false], 'one hop: only the nearest proxy is trusted')
  t.throws(() => loadConfig({ ...base, RELAY_TRUST_PROXY: 'ingress.local' }), { name: 'ConfigError', message: /RELAY_TRUST_PROXY: "ingress.local" is not an address or CIDR/ })
  t.equal(loadConfig(base).uiSignInLimit, 10)
})
