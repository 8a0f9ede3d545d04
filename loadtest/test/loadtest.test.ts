/**
 * Smoke test of the load-test kit: the targets it generates are what the relay accepts
 * (signatures verify with the relay's own verifiers, ids are unique, sizes are as
 * named), and, where vegeta is installed, a 2-second 50 rps run against a real relay
 * delivers every accepted event exactly once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { verifySignature, type Verification } from '../../core/src/ingest/verify/index.ts'
import { createTestEnv, TEST_ADMIN_TOKEN } from '../../core/src/testing/index.ts'
import { SIZES } from '../src/payloads/fill.ts'
import { runRemote } from '../src/remote-run.ts'
import { runScenario } from '../src/run-scenario.ts'
import { PROVIDERS, type Provider } from '../src/sign.ts'
import { writeTargets, type VegetaTarget } from '../src/targets.ts'
import { findVegeta } from '../src/vegeta.ts'

const SECRETS: Record<Provider, string> = { github: 'It\'s a Secret to Everybody', stripe: 'whsec_test_secret', slack: '8f742231b10e8888abcd99yyyzzz85a5' }
const PER_SIZE = 40

function deliveryId(p: Provider, target: VegetaTarget, body: Record<string, unknown>): string {
  if (p === 'github') return target.header['X-GitHub-Delivery']![0]!
  return String(p === 'stripe' ? body.id : body.event_id)
}

t.test('generated targets are signed, unique and of the named size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const provider of PROVIDERS) {
    const verification = { type: provider, secret: SECRETS[provider] } as Verification
    for (const size of Object.keys(SIZES) as (keyof typeof SIZES)[]) {
      const file = join(dir, `${provider}-${size}.ndjson`)
      await writeTargets(file, [{ provider, url: 'http://127.0.0.1:1/in/x', secret: SECRETS[provider], size }], PER_SIZE)
      const targets = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as VegetaTarget)
      t.equal(targets.length, PER_SIZE, `${provider} ${size}: one line per target`)
      const ids = new Set<string>()
      let bad = 0
      let total = 0
      for (const target of targets) {
        const raw = Buffer.from(target.body, 'base64')
        const headers = Object.fromEntries(Object.entries(target.header).map(([k, v]) => [k.toLowerCase(), v[0]!]))
        if (!verifySignature(verification, headers, raw).ok) bad++
        ids.add(deliveryId(provider, target, JSON.parse(raw.toString()) as Record<string, unknown>))
        total += raw.length
      }
      t.equal(bad, 0, `${provider} ${size}: every signature verifies`)
      t.equal(ids.size, PER_SIZE, `${provider} ${size}: delivery ids are unique`)
      const mean = total / PER_SIZE
      // GitHub's smallest realistic push (one commit, plus head_commit) is ~2.3 KB.
      const low = provider === 'github' && size === '1k' ? 0.5 : 0.8
      t.ok(mean >= SIZES[size] * low && mean <= SIZES[size] * 2.5, `${provider} ${size}: mean body ${Math.round(mean)} bytes`)
    }
  }
})

t.test('a tampered body fails verification', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 't.ndjson')
  await writeTargets(file, [{ provider: 'stripe', url: 'http://127.0.0.1:1/in/x', secret: SECRETS.stripe, size: '1k' }], 1)
  const target = JSON.parse(readFileSync(file, 'utf8')) as VegetaTarget
  const raw = Buffer.from(target.body, 'base64')
  raw[raw.length - 2] = 0x20
  const headers = { 'stripe-signature': target.header['Stripe-Signature']![0]! }
  t.notOk(verifySignature({ type: 'stripe', secret: SECRETS.stripe }, headers, raw).ok)
})

const vegeta = findVegeta()
// CI must run the smoke runs: a missing vegeta fails there instead of skipping.
const NO_VEGETA = 'vegeta not installed (bash scripts/ensure-vegeta.sh installs it)'
if (!vegeta) {
  if (process.env.CI === 'true') t.fail(`${NO_VEGETA}; CI=true requires every test to run`)
  else console.error(`\n!!! SKIPPED the load-test smoke runs: ${NO_VEGETA}\n`)
}
t.test('2 s at 50 rps against a relay: every accepted event delivered once', { skip: vegeta ? false : NO_VEGETA }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-run-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const s = await runScenario(vegeta!, {
    name: 'smoke', description: 'smoke', mode: 'active', endpoints: { fast: {} }, size: '1k', steps: [{ rate: 50, seconds: 2 }], drainMs: 30_000,
  }, dir, { workers: 1 })
  t.equal(s.ingest.requests, 100)
  t.equal(s.ingest.statusCodes['202'], 100, 'every request accepted with 202')
  const fast = s.endpoints.fast!
  t.equal(fast.expected, 100)
  t.equal(fast.delivered, 100, 'every accepted event delivered')
  t.equal(fast.lost, 0)
  t.equal(fast.duplicates, 0)
  t.equal(s.duplicatesAnswered, 0, 'no request was taken for a retry')
})

t.test('remote: a running relay, through its admin API and ingest URLs only', { skip: vegeta ? false : NO_VEGETA }, async (t) => {
  const env = await createTestEnv('loadtest_remote', { RELAY_PLUGINS: '@webhook-relay/plugin-http-relay' })
  t.teardown(() => env.close())
  const relay = await env.start('api')
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-remote-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const s = await runRemote(vegeta!, { url: relay.url, token: TEST_ADMIN_TOKEN, steps: [{ rate: 50, seconds: 2 }], mode: 'record', size: '1k' }, dir)
  t.equal(s.ingest.requests, 100)
  t.equal(s.accepted, 100, 'every request accepted')
  t.equal(s.lost, 0, 'and found through the API afterwards')
  for (const f of ['report.txt', 'report.json', 'hdr.txt', 'summary.json']) t.ok(existsSync(join(dir, f)), f)
  const left = (await relay.api('/api/v1/sources')).body.items as unknown[]
  t.same(left, [], 'the test sources are deleted')
  await t.rejects(runRemote(vegeta!, { url: relay.url, token: 'wrong-token-0123456789', steps: [{ rate: 1, seconds: 1 }], mode: 'record' }, dir), /POST \/sources: 401/)
})
