import t from 'tap'
import { verifySignature, type Verification } from '../../src/ingest/verify/index.ts'
import { opensslHmac } from './fixtures/openssl-hmac.ts'

// GitHub's documented example (docs.github.com, "Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody"
const BODY = Buffer.from('Hello, World!')
const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
const config: Verification = { type: 'github', secret: SECRET }

t.test('accepts GitHub’s published example', async (t) => {
  t.same(verifySignature(config, { 'x-hub-signature-256': SIGNATURE }, BODY), { ok: true })
})

t.test('accepts a signature computed independently by openssl over raw non-UTF-8 bytes', async (t) => {
  const body = Buffer.from([0x7b, 0xff, 0x00, 0xc3, 0x28, 0x7d])
  const sig = `sha256=${opensslHmac('sha256', SECRET, body).toString('hex')}`
  t.same(verifySignature(config, { 'x-hub-signature-256': sig }, body), { ok: true })
})

t.test('header name and hex digits are case-insensitive', async (t) => {
  t.same(verifySignature(config, { 'X-Hub-Signature-256': SIGNATURE }, BODY), { ok: true })
  t.same(verifySignature(config, { 'x-hub-signature-256': `sha256=${SIGNATURE.slice(7).toUpperCase()}` }, BODY), {
    ok: true,
  })
})

t.test('rejects a tampered body', async (t) => {
  t.same(verifySignature(config, { 'x-hub-signature-256': SIGNATURE }, Buffer.from('Hello, World?')), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('rejects the right body signed with another secret', async (t) => {
  t.same(verifySignature({ type: 'github', secret: 'not the secret' }, { 'x-hub-signature-256': SIGNATURE }, BODY), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('says which header is missing', async (t) => {
  t.same(verifySignature(config, {}, BODY), { ok: false, reason: 'missing header x-hub-signature-256' })
  t.same(verifySignature(config, { 'x-hub-signature': 'sha1=abc' }, BODY), {
    ok: false,
    reason: 'missing header x-hub-signature-256',
  })
  t.same(verifySignature(config, { 'x-hub-signature-256': '' }, BODY), {
    ok: false,
    reason: 'missing header x-hub-signature-256',
  })
})

t.test('malformed signatures fail without throwing', async (t) => {
  for (const value of ['757107ea', 'sha256=', 'sha256=757107ea', 'sha256=zz' + SIGNATURE.slice(9), `${SIGNATURE}00`]) {
    const result = verifySignature(config, { 'x-hub-signature-256': value }, BODY)
    t.equal(result.ok, false, value)
  }
  t.same(verifySignature(config, { 'x-hub-signature-256': SIGNATURE.slice(7) }, BODY), {
    ok: false,
    reason: 'x-hub-signature-256 must start with sha256=',
  })
})

t.test('a repeated header is refused rather than one copy picked', async (t) => {
  t.same(verifySignature(config, { 'x-hub-signature-256': [SIGNATURE, 'sha256=00'] }, BODY), {
    ok: false,
    reason: 'more than one x-hub-signature-256 header',
  })
})

t.test('no reason ever contains the secret', async (t) => {
  const cases = [{}, { 'x-hub-signature-256': 'x' }, { 'x-hub-signature-256': 'sha256=00' }]
  for (const headers of cases) {
    const result = verifySignature(config, headers, BODY)
    t.ok(!result.ok && !result.reason.includes(SECRET))
  }
})
