import t from 'tap'
import { verifySignature, type Verification } from '../../src/ingest/verify/index.ts'
import { opensslHmac, type Algorithm } from './fixtures/openssl-hmac.ts'

const SECRET = 'generic shared secret'
const BODY = Buffer.from('{"event":"build.finished","status":"green"}')

function config(algorithm: Algorithm, encoding: 'hex' | 'base64', prefix?: string): Verification {
  return { type: 'hmac', secret: SECRET, header: 'X-Signature', algorithm, encoding, ...(prefix ? { prefix } : {}) }
}

t.test('every algorithm and encoding matches openssl', async (t) => {
  for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
    for (const encoding of ['hex', 'base64'] as const) {
      const sig = opensslHmac(algorithm, SECRET, BODY).toString(encoding)
      t.same(verifySignature(config(algorithm, encoding), { 'x-signature': sig }, BODY), { ok: true }, `${algorithm}/${encoding}`)
    }
  }
})

t.test('a digest of another algorithm does not pass', async (t) => {
  const sha1 = opensslHmac('sha1', SECRET, BODY).toString('hex')
  t.same(verifySignature(config('sha256', 'hex'), { 'x-signature': sha1 }, BODY), { ok: false, reason: 'signature mismatch' })
})

t.test('prefix is required when configured, matched case-insensitively', async (t) => {
  const hex = opensslHmac('sha256', SECRET, BODY).toString('hex')
  const withPrefix = config('sha256', 'hex', 'sha256=')
  t.same(verifySignature(withPrefix, { 'x-signature': `sha256=${hex}` }, BODY), { ok: true })
  t.same(verifySignature(withPrefix, { 'x-signature': `SHA256=${hex}` }, BODY), { ok: true })
  t.same(verifySignature(withPrefix, { 'x-signature': hex }, BODY), {
    ok: false,
    reason: 'x-signature must start with sha256=',
  })
  t.same(verifySignature(config('sha256', 'hex'), { 'x-signature': `sha256=${hex}` }, BODY), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('configured header name and request header name may differ in case', async (t) => {
  const sig = opensslHmac('sha256', SECRET, BODY).toString('base64')
  t.same(verifySignature(config('sha256', 'base64'), { 'X-SIGNATURE': sig }, BODY), { ok: true })
})

t.test('rejects a tampered body, a wrong secret and a missing header', async (t) => {
  const sig = opensslHmac('sha512', SECRET, BODY).toString('hex')
  const c = config('sha512', 'hex')
  t.same(verifySignature(c, { 'x-signature': sig }, Buffer.from(`${BODY} `)), { ok: false, reason: 'signature mismatch' })
  t.same(verifySignature({ ...c, secret: 'other' }, { 'x-signature': sig }, BODY), {
    ok: false,
    reason: 'signature mismatch',
  })
  t.same(verifySignature(c, { 'x-other': sig }, BODY), { ok: false, reason: 'missing header x-signature' })
})
