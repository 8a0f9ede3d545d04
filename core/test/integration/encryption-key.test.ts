// RELAY_ENCRYPTION_KEY mistakes are caught at boot, and a key can be rotated:
// previous keys open, `reseal` re-seals everything with the new key.
import { spawn } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { resealAll } from '../../src/secrets/reseal.ts'
import { createSecretBox, keyIdOf } from '../../src/secrets/secret-box.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('encryption_key')
t.teardown(() => env.close())
const keyA = env.env.RELAY_ENCRYPTION_KEY!
const keyB = randomBytes(32).toString('base64')
const SECRET = 'github-webhook-secret'
const RELAY_BIN = fileURLToPath(new URL('../../src/bin/relay.ts', import.meta.url))

const first = await env.start('api')
const src = (await first.api('/api/v1/sources', { body: { name: 'G', slug: 'g', mode: 'record', verification: { type: 'github', secret: SECRET } } })).body
await first.api('/api/v1/subscriptions', { body: { sourceId: src.id, action: 'http-relay', config: { url: 'http://127.0.0.1:9/x', headers: { authorization: 'Bearer t' } } } })
await first.stop()

const signed = async (url: string, body: string) =>
  (await fetch(`${url}/in/g`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` } })).status

t.test('the key id is recorded at the first boot', async (t) => {
  const [row] = await env.query<{ value: string }>("SELECT value FROM relay_settings WHERE name = 'encryption_key_id'")
  t.equal(row?.value, keyIdOf(Buffer.from(keyA, 'base64')))
})

t.test('another key refuses to start, naming the variable', async (t) => {
  await t.rejects(env.start('api', { RELAY_ENCRYPTION_KEY: keyB }), /RELAY_ENCRYPTION_KEY does not match this database/)
})

t.test('the entry point exits 78 with the message, no stack trace', async (t) => {
  const child = spawn(process.execPath, [RELAY_BIN, 'api'], { env: { ...process.env, ...env.env, RELAY_ENCRYPTION_KEY: keyB }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const code = await new Promise<number | null>((r) => child.on('exit', r))
  t.equal(code, 78)
  t.match(stderr, /webhook-relay: RELAY_ENCRYPTION_KEY does not match this database/)
  t.notMatch(stderr, /\n\s+at /, 'no stack trace')
})

t.test('an install with no key id yet is checked by opening its secrets', async (t) => {
  await env.query("DELETE FROM relay_settings WHERE name = 'encryption_key_id'")
  await t.rejects(env.start('api', { RELAY_ENCRYPTION_KEY: keyB }), /cannot open the secrets stored in this database/)
  t.equal((await env.query('SELECT 1 FROM relay_settings')).length, 0, 'nothing recorded for the wrong key')
})

t.test('rotation: the old key as previous opens everything, reseal moves it all to the new key', async (t) => {
  const rotating = await env.start('api', { RELAY_ENCRYPTION_KEY: keyB, RELAY_ENCRYPTION_KEY_PREVIOUS: keyA })
  const [recorded] = await env.query<{ value: string }>("SELECT value FROM relay_settings WHERE name = 'encryption_key_id'")
  t.equal(recorded?.value, keyIdOf(Buffer.from(keyA, 'base64')), 'first boot with key ids during a rotation records the key the secrets are sealed with, the old one')
  t.equal(await signed(rotating.url, '{"during":"rotation"}'), 202, 'a signed webhook verifies with the secret sealed under the old key')
  const box = createSecretBox(Buffer.from(keyB, 'base64'), [Buffer.from(keyA, 'base64')])
  const r = await resealAll(rotating.services.db, box)
  t.ok(r.values >= 2, `re-sealed ${r.values} values (at least the verification and signing secrets)`)
  await rotating.stop()
  const sealed = await env.query<{ v: string }>(`SELECT verification::text AS v FROM sources UNION ALL SELECT signing_secrets::text FROM subscriptions UNION ALL SELECT config::text FROM subscriptions`)
  t.notOk(sealed.some((s) => s.v.includes('enc:v1:') || (s.v.includes('enc:v2:') && !s.v.includes(`enc:v2:${keyIdOf(Buffer.from(keyB, 'base64'))}.`))), 'every value is under the new key')

  const after = await env.start('api', { RELAY_ENCRYPTION_KEY: keyB })
  t.equal(await signed(after.url, '{"after":"reseal"}'), 202, 'the new key alone works')
  await after.stop()
  await t.rejects(env.start('api', { RELAY_ENCRYPTION_KEY: keyA }), /does not match/, 'and the old key alone no longer starts')
})

t.test('values sealed before key ids (enc:v1) are still read', async (t) => {
  const key = randomBytes(32)
  const box = createSecretBox(key)
  const v2 = box.seal('hello')
  t.match(v2, /^enc:v2:[0-9a-f]{16}\./)
  // The v1 layout: iv.tag.data under the same key, no key id.
  const [, , , iv, tag, data] = v2.split(/[:.]/)
  t.equal(box.open(`enc:v1:${iv}.${tag}.${data}`), 'hello')
  t.ok(box.needsReseal(`enc:v1:${iv}.${tag}.${data}`))
  t.notOk(box.needsReseal(v2))
})
