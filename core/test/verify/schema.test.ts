import t from 'tap'
import Value from 'typebox/value'
import { VerificationSchema } from '../../src/ingest/verify/index.ts'

const valid = [
  { type: 'github', secret: 's' },
  { type: 'stripe', secret: 'whsec_abc', toleranceSec: 600 },
  { type: 'slack', secret: 's' },
  { type: 'shopify', secret: 's' },
  { type: 'standard-webhooks', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
  { type: 'hmac', secret: 's', header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' },
]

const invalid: [string, unknown][] = [
  ['unknown type', { type: 'gitlab', secret: 's' }],
  ['missing secret', { type: 'github' }],
  ['empty secret', { type: 'github', secret: '' }],
  ['misspelt field', { type: 'github', secret: 's', secert: 's' }],
  ['standard-webhooks secret without whsec_', { type: 'standard-webhooks', secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }],
  ['zero tolerance', { type: 'slack', secret: 's', toleranceSec: 0 }],
  ['fractional tolerance', { type: 'slack', secret: 's', toleranceSec: 1.5 }],
  ['tolerance over a day', { type: 'stripe', secret: 's', toleranceSec: 86_401 }],
  ['md5', { type: 'hmac', secret: 's', header: 'x-sig', algorithm: 'md5', encoding: 'hex' }],
  ['header with a space', { type: 'hmac', secret: 's', header: 'x sig', algorithm: 'sha1', encoding: 'hex' }],
  ['base64url encoding', { type: 'hmac', secret: 's', header: 'x-sig', algorithm: 'sha1', encoding: 'base64url' }],
]

t.test('accepts one valid setting of each type', async (t) => {
  for (const v of valid) t.ok(Value.Check(VerificationSchema, v), v.type)
})

t.test('rejects settings a person could plausibly mistype', async (t) => {
  for (const [name, v] of invalid) t.notOk(Value.Check(VerificationSchema, v), name)
})
