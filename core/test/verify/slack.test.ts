import t from 'tap'
import { verifySignature, type Verification } from '../../src/ingest/verify/index.ts'
import { opensslHmac } from './fixtures/openssl-hmac.ts'

// Slack's documented example (docs.slack.dev, "Verifying requests from Slack").
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5'
const TS = '1531420618'
const BODY = Buffer.from(
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
    '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
    '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
    '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
)
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'
const NOW_MS = Number(TS) * 1000 + 5_000
const config: Verification = { type: 'slack', secret: SECRET }
const headers = (sig = SIGNATURE, ts = TS) => ({ 'x-slack-signature': sig, 'x-slack-request-timestamp': ts })

t.test('accepts Slack’s published example', async (t) => {
  t.same(verifySignature(config, headers(), BODY, NOW_MS), { ok: true })
})

t.test('accepts a signature computed by openssl', async (t) => {
  const ts = '1700000000'
  const body = Buffer.from('{"type":"event_callback","event":{"type":"app_mention","text":"héllo"}}')
  const sig = `v0=${opensslHmac('sha256', SECRET, Buffer.concat([Buffer.from(`v0:${ts}:`), body])).toString('hex')}`
  t.same(verifySignature(config, headers(sig, ts), body, 1_700_000_000_000), { ok: true })
})

t.test('header names are case-insensitive', async (t) => {
  const mixed = { 'X-Slack-Signature': SIGNATURE, 'X-Slack-Request-Timestamp': TS }
  t.same(verifySignature(config, mixed, BODY, NOW_MS), { ok: true })
})

t.test('rejects a tampered body', async (t) => {
  const tampered = Buffer.from(BODY.toString().replace('foobar', 'foobaz'))
  t.same(verifySignature(config, headers(), tampered, NOW_MS), { ok: false, reason: 'signature mismatch' })
})

t.test('rejects a wrong secret', async (t) => {
  t.same(verifySignature({ type: 'slack', secret: '8f742231b10e8888abcd99yyyzzz85a6' }, headers(), BODY, NOW_MS), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('rejects the published example today: its timestamp is years old', async (t) => {
  t.same(verifySignature(config, headers(), BODY), { ok: false, reason: 'timestamp outside tolerance' })
  t.same(verifySignature(config, headers(), BODY, (Number(TS) + 301) * 1000), {
    ok: false,
    reason: 'timestamp outside tolerance',
  })
  t.same(verifySignature({ ...config, toleranceSec: 600 }, headers(), BODY, (Number(TS) + 301) * 1000), { ok: true })
})

t.test('rejects a moved timestamp', async (t) => {
  t.same(verifySignature(config, headers(SIGNATURE, String(Number(TS) + 1)), BODY, NOW_MS), {
    ok: false,
    reason: 'signature mismatch',
  })
})

t.test('says which header is missing or malformed', async (t) => {
  t.same(verifySignature(config, { 'x-slack-request-timestamp': TS }, BODY, NOW_MS), {
    ok: false,
    reason: 'missing header x-slack-signature',
  })
  t.same(verifySignature(config, { 'x-slack-signature': SIGNATURE }, BODY, NOW_MS), {
    ok: false,
    reason: 'missing header x-slack-request-timestamp',
  })
  t.same(verifySignature(config, headers(SIGNATURE, '1531420618.5'), BODY, NOW_MS), {
    ok: false,
    reason: 'x-slack-request-timestamp is not unix seconds',
  })
  t.same(verifySignature(config, headers(SIGNATURE.slice(3)), BODY, NOW_MS), {
    ok: false,
    reason: 'x-slack-signature must start with v0=',
  })
})
