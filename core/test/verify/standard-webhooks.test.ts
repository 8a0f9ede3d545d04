import t from 'tap'
import { verifySignature, type Verification } from '../../src/ingest/verify/index.ts'
import { opensslHmac } from './fixtures/openssl-hmac.ts'

// The Standard Webhooks specification's test vector.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const TS = 1614265330
const BODY = Buffer.from('{"test": 2432232314}')
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
const NOW_MS = TS * 1000
const config: Verification = { type: 'standard-webhooks', secret: SECRET }
const headers = (signature = SIGNATURE, ts = String(TS), id = ID) => ({
  'webhook-id': id,
  'webhook-timestamp': ts,
  'webhook-signature': signature,
})

const OLD_KEY = Buffer.from('a rotated-out key, 24 b!')
function opensslSignature(key: Buffer, id = ID, ts = TS, body = BODY): string {
  return `v1,${opensslHmac('sha256', key, Buffer.concat([Buffer.from(`${id}.${ts}.`), body])).toString('base64')}`
}

t.test('accepts the specification’s test vector', async (t) => {
  t.same(verifySignature(config, headers(), BODY, NOW_MS), { ok: true })
})

t.test('openssl agrees with the vector, keyed with the base64-decoded secret', async (t) => {
  t.equal(opensslSignature(Buffer.from(SECRET.slice(6), 'base64')), SIGNATURE)
})

t.test('accepts when any space-separated v1 signature matches (rotation)', async (t) => {
  const old = opensslSignature(OLD_KEY)
  t.same(verifySignature(config, headers(`${old} ${SIGNATURE}`), BODY, NOW_MS), { ok: true })
  t.same(verifySignature(config, headers(`${SIGNATURE} ${old}`), BODY, NOW_MS), { ok: true })
  const oldConfig: Verification = { type: 'standard-webhooks', secret: `whsec_${OLD_KEY.toString('base64')}` }
  t.same(verifySignature(oldConfig, headers(`${SIGNATURE} ${old}`), BODY, NOW_MS), { ok: true })
})

t.test('skips entries of other versions', async (t) => {
  const asymmetric = `v1a,${SIGNATURE.slice(3)}`
  t.same(verifySignature(config, headers(`${asymmetric} ${SIGNATURE}`), BODY, NOW_MS), { ok: true })
  t.same(verifySignature(config, headers(asymmetric), BODY, NOW_MS), {
    ok: false,
    reason: 'webhook-signature has no v1 signature',
  })
})

t.test('header names are case-insensitive', async (t) => {
  const mixed = { 'Webhook-Id': ID, 'WEBHOOK-TIMESTAMP': String(TS), 'Webhook-Signature': SIGNATURE }
  t.same(verifySignature(config, mixed, BODY, NOW_MS), { ok: true })
})

t.test('rejects a tampered body, id or timestamp', async (t) => {
  const mismatch = { ok: false, reason: 'signature mismatch' }
  t.same(verifySignature(config, headers(), Buffer.from('{"test": 2432232315}'), NOW_MS), mismatch)
  t.same(verifySignature(config, headers(SIGNATURE, String(TS), 'msg_other'), BODY, NOW_MS), mismatch)
  t.same(verifySignature(config, headers(SIGNATURE, String(TS + 1)), BODY, NOW_MS), mismatch)
})

t.test('rejects a wrong secret', async (t) => {
  const wrong: Verification = { type: 'standard-webhooks', secret: `whsec_${OLD_KEY.toString('base64')}` }
  t.same(verifySignature(wrong, headers(), BODY, NOW_MS), { ok: false, reason: 'signature mismatch' })
})

t.test('rejects a stale or future timestamp; toleranceSec widens the window', async (t) => {
  const outside = { ok: false, reason: 'timestamp outside tolerance' }
  t.same(verifySignature(config, headers(), BODY, (TS + 301) * 1000), outside)
  t.same(verifySignature(config, headers(), BODY, (TS - 301) * 1000), outside)
  t.same(verifySignature(config, headers(), BODY, (TS + 300) * 1000), { ok: true })
  t.same(verifySignature({ ...config, toleranceSec: 3600 }, headers(), BODY, (TS + 3000) * 1000), { ok: true })
})

t.test('says which header is missing', async (t) => {
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const partial: Record<string, string> = headers()
    delete partial[name]
    t.same(verifySignature(config, partial, BODY, NOW_MS), { ok: false, reason: `missing header ${name}` })
  }
  t.same(verifySignature(config, headers(SIGNATURE, '2021-02-25T15:02:10Z'), BODY, NOW_MS), {
    ok: false,
    reason: 'webhook-timestamp is not unix seconds',
  })
})

t.test('a truncated signature fails without throwing', async (t) => {
  t.same(verifySignature(config, headers(SIGNATURE.slice(0, 20)), BODY, NOW_MS), {
    ok: false,
    reason: 'signature mismatch',
  })
})
