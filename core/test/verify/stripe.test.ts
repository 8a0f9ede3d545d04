import t from 'tap'
import { verifySignature, type Verification } from '../../src/ingest/verify/index.ts'
import { opensslHmac } from './fixtures/openssl-hmac.ts'

// Stripe publishes no fixed vector; signatures are computed by openssl over `${t}.${body}`.
const SECRET = 'whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH'
const OTHER_SECRET = 'whsec_test_rolled_9d8c7b6a5f4e3d2c1b0a'
const BODY = Buffer.from('{"id":"evt_1","object":"event","type":"payment_intent.succeeded","amount":2000}')
const T = 1_700_000_000
const NOW_MS = (T + 30) * 1000
const config: Verification = { type: 'stripe', secret: SECRET }

function v1(secret: string, t: number, body: Buffer = BODY): string {
  return opensslHmac('sha256', secret, Buffer.concat([Buffer.from(`${t}.`), body])).toString('hex')
}
const headers = (value: string) => ({ 'stripe-signature': value })

t.test('accepts a signature computed by openssl', async (t) => {
  t.same(verifySignature(config, headers(`t=${T},v1=${v1(SECRET, T)}`), BODY, NOW_MS), { ok: true })
})

t.test('accepts any of several v1 signatures (secret roll) and ignores v0', async (t) => {
  const good = v1(SECRET, T)
  const other = v1(OTHER_SECRET, T)
  t.same(verifySignature(config, headers(`t=${T},v1=${other},v1=${good},v0=${other}`), BODY, NOW_MS), { ok: true })
  t.same(verifySignature(config, headers(`t=${T},v1=${good},v1=${other}`), BODY, NOW_MS), { ok: true })
  t.same(verifySignature(config, headers(`t=${T},v1=${other},v0=${good}`), BODY, NOW_MS), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('header name is case-insensitive', async (t) => {
  t.same(verifySignature(config, { 'Stripe-Signature': `t=${T},v1=${v1(SECRET, T)}` }, BODY, NOW_MS), { ok: true })
})

t.test('rejects a tampered body', async (t) => {
  const tampered = Buffer.from(BODY.toString().replace('2000', '2001'))
  t.same(verifySignature(config, headers(`t=${T},v1=${v1(SECRET, T)}`), tampered, NOW_MS), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('rejects a signature made with another secret', async (t) => {
  t.same(verifySignature(config, headers(`t=${T},v1=${v1(OTHER_SECRET, T)}`), BODY, NOW_MS), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('rejects a replay with a fresh t= but the old signature', async (t) => {
  const old = v1(SECRET, T - 3600)
  t.same(verifySignature(config, headers(`t=${T},v1=${old}`), BODY, NOW_MS), { ok: false, reason: 'signature mismatch' })
})

t.test('rejects a timestamp outside the tolerance, either side', async (t) => {
  const stale = T - 301
  t.same(verifySignature(config, headers(`t=${stale},v1=${v1(SECRET, stale)}`), BODY, T * 1000), {
    ok: false,
    reason: 'timestamp outside tolerance',
  })
  const future = T + 301
  t.same(verifySignature(config, headers(`t=${future},v1=${v1(SECRET, future)}`), BODY, T * 1000), {
    ok: false,
    reason: 'timestamp outside tolerance',
  })
  const edge = T - 300
  t.same(verifySignature(config, headers(`t=${edge},v1=${v1(SECRET, edge)}`), BODY, T * 1000), { ok: true })
})

t.test('toleranceSec widens the window', async (t) => {
  const old = T - 500
  const wide: Verification = { type: 'stripe', secret: SECRET, toleranceSec: 600 }
  t.same(verifySignature(wide, headers(`t=${old},v1=${v1(SECRET, old)}`), BODY, T * 1000), { ok: true })
})

t.test('explains a missing or incomplete header', async (t) => {
  t.same(verifySignature(config, {}, BODY, NOW_MS), { ok: false, reason: 'missing header stripe-signature' })
  t.same(verifySignature(config, headers(`v1=${v1(SECRET, T)}`), BODY, NOW_MS), {
    ok: false,
    reason: 'stripe-signature must carry exactly one t=',
  })
  t.same(verifySignature(config, headers(`t=${T}`), BODY, NOW_MS), {
    ok: false,
    reason: 'stripe-signature has no v1 signature',
  })
  t.same(verifySignature(config, headers(`t=soon,v1=${v1(SECRET, T)}`), BODY, NOW_MS), {
    ok: false,
    reason: 'stripe-signature t= is not unix seconds',
  })
  t.same(verifySignature(config, headers(`t=${T},v1=abc`), BODY, NOW_MS), { ok: false, reason: 'signature mismatch' })
})
