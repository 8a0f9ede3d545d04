import t from 'tap'
import { verifySignature, type Verification } from '../../src/ingest/verify/index.ts'
import { opensslHmac } from './fixtures/openssl-hmac.ts'

// Shopify publishes no fixed vector; the expected value is computed by openssl.
const SECRET = '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'
const BODY = Buffer.from('{"id":820982911946154508,"email":"jon@example.com","total_price":"199.65"}')
const SIGNATURE = opensslHmac('sha256', SECRET, BODY).toString('base64')
const config: Verification = { type: 'shopify', secret: SECRET }

t.test('accepts a signature computed by openssl', async (t) => {
  t.same(verifySignature(config, { 'x-shopify-hmac-sha256': SIGNATURE }, BODY), { ok: true })
})

t.test('header name is case-insensitive', async (t) => {
  t.same(verifySignature(config, { 'X-Shopify-Hmac-SHA256': SIGNATURE }, BODY), { ok: true })
})

t.test('rejects a tampered body', async (t) => {
  const tampered = Buffer.from(BODY.toString().replace('199.65', '1.00'))
  t.same(verifySignature(config, { 'x-shopify-hmac-sha256': SIGNATURE }, tampered), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('rejects a wrong secret', async (t) => {
  t.same(verifySignature({ type: 'shopify', secret: 'shpss_other' }, { 'x-shopify-hmac-sha256': SIGNATURE }, BODY), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('rejects a missing header', async (t) => {
  t.same(verifySignature(config, { 'x-shopify-topic': 'orders/create' }, BODY), {
    ok: false,
    reason: 'missing header x-shopify-hmac-sha256',
  })
})

t.test('rejects hex, truncated or non-base64 values without throwing', async (t) => {
  const hex = opensslHmac('sha256', SECRET, BODY).toString('hex')
  for (const value of [hex, SIGNATURE.slice(0, 20), `${SIGNATURE.slice(0, -2)}!!`]) {
    t.same(verifySignature(config, { 'x-shopify-hmac-sha256': value }, BODY), { ok: false, reason: 'signature mismatch' })
  }
})
