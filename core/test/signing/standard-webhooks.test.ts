import type { IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import {
  generateSigningSecret,
  signStandardWebhook,
  standardWebhooksSigner,
  verifyStandardWebhook,
} from '../../src/signing/standard-webhooks.ts'
import { opensslHmac } from '../verify/fixtures/openssl-hmac.ts'

// The Standard Webhooks specification's test vector.
const VECTOR = {
  webhookId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: Buffer.from('{"test": 2432232314}'),
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
}

t.test('reproduces the specification’s test vector', async (t) => {
  t.same(signStandardWebhook(VECTOR), {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  })
  t.same(standardWebhooksSigner.sign(VECTOR), signStandardWebhook(VECTOR))
})

t.test('signs once per secret, in order, each matching openssl (rotation)', async (t) => {
  const newer = generateSigningSecret()
  const older = generateSigningSecret()
  const body = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x7b])
  const headers = signStandardWebhook({ webhookId: 'msg_2', timestamp: 1_700_000_000, body, secrets: [newer, older] })
  const expected = [newer, older].map((s) => {
    const key = Buffer.from(s.slice('whsec_'.length), 'base64')
    const signed = Buffer.concat([Buffer.from('msg_2.1700000000.'), body])
    return `v1,${opensslHmac('sha256', key, signed).toString('base64')}`
  })
  t.equal(headers['webhook-signature'], expected.join(' '))

  // A receiver holding either secret accepts the delivery.
  for (const secret of [newer, older]) {
    t.same(verifyStandardWebhook(secret, headers, body, 1_700_000_000_000), { ok: true })
  }
  t.same(verifyStandardWebhook(generateSigningSecret(), headers, body, 1_700_000_000_000), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('generated secrets are whsec_ + 24 random bytes', async (t) => {
  const seen = new Set<string>()
  for (let i = 0; i < 100; i++) {
    const secret = generateSigningSecret()
    t.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/)
    t.equal(Buffer.from(secret.slice(6), 'base64').length, 24)
    seen.add(secret)
  }
  t.equal(seen.size, 100)
})

t.test('refuses inputs that would produce a signature no receiver accepts', async (t) => {
  t.throws(() => signStandardWebhook({ ...VECTOR, secrets: [] }), /at least one signing secret/)
  t.throws(() => signStandardWebhook({ ...VECTOR, secrets: ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] }), /whsec_/)
  t.throws(() => signStandardWebhook({ ...VECTOR, secrets: ['whsec_not base64!'] }), /whsec_/)
  t.throws(() => signStandardWebhook({ ...VECTOR, timestamp: 1614265330123 }), /unix seconds/)
  t.throws(() => signStandardWebhook({ ...VECTOR, timestamp: 1614265330.5 }), /unix seconds/)
})

t.test('a malformed receiving secret is a failed check, not a crash', async (t) => {
  const headers = signStandardWebhook(VECTOR)
  t.same(verifyStandardWebhook('not-a-whsec', headers, VECTOR.body, VECTOR.timestamp * 1000), {
    ok: false,
    reason: 'source verification secret is not a valid whsec_ secret',
  })
})

t.test('accepts the header shape Node gives a server (IncomingHttpHeaders)', async (t) => {
  const incoming: IncomingHttpHeaders = { ...signStandardWebhook(VECTOR), host: 'relay.local' }
  t.same(verifyStandardWebhook(VECTOR.secrets[0] as string, incoming, VECTOR.body, VECTOR.timestamp * 1000), { ok: true })
})
