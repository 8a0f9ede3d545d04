// email through a real relay: the mail arrives with the event's fields, the password is
// sealed and masked, a greylisting 450 is retried until the server takes the mail, and
// a 550 is dead at once with the server's reply as the reason.
import t from 'tap'
import { createTestEnv, pluginSource } from '@webhook-relay/core/testing'
import { closeAllTransports, transportCount } from '../src/transports.ts'
import { startSmtpSink } from './smtp-sink.ts'

const env = await createTestEnv('email', { RELAY_PLUGINS: '@webhook-relay/plugin-email' })
t.teardown(() => env.close())
const relay = await env.start('all')
t.teardown(() => closeAllTransports())
let greylisted = 0
const sink = await startSmtpSink(t, {
  login: { username: 'relay', password: 'smtp-secret-1' },
  rcpt: (a) => {
    if (a === 'nobody@example.com') return { code: 550, message: '5.1.1 User unknown' }
    if (a === 'grey@example.com' && greylisted++ === 0) return { code: 450, message: '4.2.0 Greylisted' }
    return undefined
  },
})

const { source, subscribed: subscribe, send, settled } = await pluginSource(relay, { action: 'email', slug: 'orders' })
const base = {
  host: sink.host,
  port: sink.port,
  username: 'relay',
  password: 'smtp-secret-1',
  from: 'Relay <relay@example.com>',
  subject: 'Order {{ payload.order }} ({{ event.sourceSlug }})',
  text: 'Order {{ payload.order }} for {{ payload.email }}',
}
const sub = await subscribe({ ...base, recipientsPath: 'email' })

t.test('config without recipients is refused at create', async (t) => {
  const r = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'email', config: { host: 'smtp.example.com', from: 'a@example.com' } } })
  t.equal(r.status, 400)
})

t.test('the password is sealed at rest and masked by the API', async (t) => {
  t.equal((await relay.api(`/api/v1/subscriptions/${sub.id}`)).body.config.password, '********')
  const [row] = await env.query<{ config: string }>('SELECT config::text FROM subscriptions WHERE id = $1', [sub.id])
  t.notMatch(row!.config, 'smtp-secret-1')
})

t.test('a greylisted mail is retried, then arrives with the event’s fields', async (t) => {
  const eventId = await send({ order: 1001, email: 'grey@example.com' })
  const d = await settled(eventId, 'succeeded')
  t.equal(d.attemptCount, 2)
  const mail = sink.mails.find((m) => m.rcptTo.includes('grey@example.com'))!
  t.equal(mail.parsed.subject, 'Order 1001 (orders)')
  t.equal(mail.parsed.text?.trim(), 'Order 1001 for grey@example.com')
  t.equal(mail.user, 'relay')
  const detail = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
  t.same(detail.attempts.map((a: { responseStatus: number }) => a.responseStatus), [450, 250])
  t.notMatch(JSON.stringify(detail), 'smtp-secret-1')
})

t.test('a 550 unknown user is dead at once with the server’s reply', async (t) => {
  const eventId = await send({ order: 1002, email: 'nobody@example.com' })
  const d = await settled(eventId, 'dead')
  t.equal(d.attemptCount, 1)
  const detail = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
  t.equal(detail.deadReason, 'permanent')
  t.match(detail.lastError, /^SMTP 550 after RCPT: 550 5\.1\.1 User unknown/)
})

t.test("the relay's stop closes the plugin's SMTP pools (its close())", async (t) => {
  t.ok(transportCount() > 0, 'pools were kept across deliveries')
  await relay.stop()
  t.equal(transportCount(), 0)
})
