import { createServer, type Socket } from 'node:net'
import t from 'tap'
import Value from 'typebox/value'
import { createRecordingLogger, runAction } from '@webhook-relay/core/testing'
import email from '../src/index.ts'
import { closeAllTransports } from '../src/transports.ts'
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts'

// Pools outlive a test; close them so the process can exit.
t.teardown(() => closeAllTransports())

const server = (sink: SmtpSink) => ({ host: sink.host, port: sink.port })
const receivedAt = new Date('2025-06-07T08:09:10.000Z')

t.test('a mail with the default templates: headers, envelope and body as sent', async (t) => {
  const sink = await startSmtpSink(t)
  const body = Buffer.from('{"order":42,"total":"9.99"}')
  const result = await runAction(email, {
    config: { ...server(sink), from: 'Relay <relay@example.com>', to: ['ops@example.com'] },
    event: { id: 'evt-1', sourceSlug: 'shop', body, receivedAt },
    webhookId: 'msg_abc',
  })
  t.match(result, { outcome: 'ok', exchange: { response: { status: 250 } } })
  const [mail] = sink.mails
  t.equal(mail!.mailFrom, 'relay@example.com')
  t.same(mail!.rcptTo, ['ops@example.com'])
  t.equal(mail!.parsed.subject, '[shop] webhook evt-1')
  t.equal(mail!.parsed.from?.text, '"Relay" <relay@example.com>')
  t.equal(mail!.parsed.headers.get('x-webhook-id'), 'msg_abc')
  t.equal(mail!.parsed.text?.trim(), '{"order":42,"total":"9.99"}', 'the body is the payload')
  t.notOk(mail!.parsed.html, 'no HTML part unless asked for')
  t.match(result.exchange, {
    request: { url: `smtp://127.0.0.1:${sink.port}`, method: 'SMTP', headers: { from: 'Relay <relay@example.com>', to: 'ops@example.com', subject: '[shop] webhook evt-1', 'content-kind': 'text' } },
  })
  t.match(result.exchange?.response?.headers, { accepted: 'ops@example.com', 'message-id': /^<.+>$/ })
  t.match(result.exchange?.response?.body?.toString(), /^250 /)
})

t.test('text and HTML templates see the event; HTML escapes payload values', async (t) => {
  const sink = await startSmtpSink(t)
  const config = {
    ...server(sink),
    from: 'relay@example.com',
    to: ['a@example.com'],
    cc: ['b@example.com'],
    bcc: ['audit@example.com'],
    replyTo: 'support@example.com',
    subject: 'Order {{ payload.order }} from {{ event.sourceSlug }} ({{ event.receivedAt }})',
    text: 'Order {{ payload.order }} by {{ payload.customer }}\nEvent {{ event.id }}, attempt {{ delivery.attempt }}, via {{ event.headers["x-shop"] }}',
    html: '<h1>Order {{ payload.order }}</h1><p>{{ payload.customer }}</p>',
  }
  const body = Buffer.from('{"order":7,"customer":"<script>alert(1)</script> Zoë"}')
  t.match(await runAction(email, { config, event: { id: 'evt-2', sourceSlug: 'shop', body, receivedAt, headers: { 'x-shop': 'eu-1' } }, attempt: 2 }), { outcome: 'ok' })
  const { parsed, rcptTo } = sink.mails[0]!
  t.equal(parsed.subject, 'Order 7 from shop (2025-06-07T08:09:10.000Z)')
  t.equal(parsed.text?.trim(), 'Order 7 by <script>alert(1)</script> Zoë\nEvent evt-2, attempt 2, via eu-1')
  t.equal(parsed.html, '<h1>Order 7</h1><p>&lt;script&gt;alert(1)&lt;/script&gt; Zoë</p>')
  t.match(parsed.headers.get('content-type'), { value: 'multipart/alternative' })
  t.same([...rcptTo].sort(), ['a@example.com', 'audit@example.com', 'b@example.com'], 'bcc is in the envelope')
  t.equal(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.text : '', 'b@example.com')
  t.notOk(parsed.headers.has('bcc'), 'but not in the headers')
  t.equal(parsed.replyTo?.text, 'support@example.com')
})

t.test('recipients from the payload, merged with the configured ones', async (t) => {
  const sink = await startSmtpSink(t)
  const base = { ...server(sink), from: 'relay@example.com' }
  const body = Buffer.from('{"customer":{"email":"c1@example.com, c2@example.com"},"owners":["o1@example.com","ops@example.com"]}')
  t.match(await runAction(email, { config: { ...base, recipientsPath: 'customer.email' }, event: { body } }), { outcome: 'ok' })
  t.match(await runAction(email, { config: { ...base, to: ['ops@example.com'], recipientsPath: '$.owners' }, event: { body } }), { outcome: 'ok' })
  t.same(sink.mails.map((m) => [...m.rcptTo]), [['c1@example.com', 'c2@example.com'], ['ops@example.com', 'o1@example.com']], 'duplicates are sent once')
  t.equal(sink.mails[1]!.parsed.to && !Array.isArray(sink.mails[1]!.parsed.to) ? sink.mails[1]!.parsed.to.text : '', 'ops@example.com, o1@example.com')
})

t.test('a payload without usable recipients fails without a mail', async (t) => {
  const sink = await startSmtpSink(t)
  const config = { ...server(sink), from: 'relay@example.com', recipientsPath: 'customer.email' }
  const cases: [string, RegExp][] = [
    ['{"customer":{}}', /no address in the payload/],
    ['{"customer":{"email":"Evil <x@example.com>\\r\\nBcc: all@example.com"}}', /is not an email address/],
    ['{"customer":{"email":[42]}}', /expected strings/],
    ['not json', /no address in the payload/],
  ]
  for (const [body, reason] of cases) {
    t.match(await runAction(email, { config, event: { body: Buffer.from(body), contentType: body.startsWith('{') ? 'application/json' : 'text/plain' } }), { outcome: 'fail', reason }, body)
  }
  t.equal(sink.mails.length, 0)
})

t.test('SMTP login; a wrong password (535) fails; the password is never recorded or logged', async (t) => {
  const sink = await startSmtpSink(t, { login: { username: 'relay', password: 'p4ss-w0rd' } })
  const log = createRecordingLogger()
  const config = { ...server(sink), from: 'relay@example.com', to: ['a@example.com'], username: 'relay', password: 'p4ss-w0rd' }
  const good = await runAction(email, { config, log })
  t.match(good, { outcome: 'ok' })
  t.equal(sink.mails[0]!.user, 'relay')
  const bad = await runAction(email, { config: { ...config, password: 'wrong' }, log })
  t.match(bad, { outcome: 'fail', reason: /^SMTP 535 after AUTH: 535 5\.7\.8 Authentication credentials invalid/, exchange: { response: { status: 535 } } })
  t.notMatch(JSON.stringify([good, bad, log.entries]), /p4ss-w0rd|wrong/)
})

t.test('a 4xx temporary rejection is retried, with the server’s reply recorded', async (t) => {
  const sink = await startSmtpSink(t, {
    rcpt: (a) => (a === 'grey@example.com' ? { code: 450, message: '4.2.0 Greylisted, please try again in 5 minutes' } : undefined),
    data: [{ code: 452, message: '4.3.1 Insufficient system storage' }],
  })
  const base = { ...server(sink), from: 'relay@example.com' }
  t.match(await runAction(email, { config: { ...base, to: ['grey@example.com'] } }), {
    outcome: 'retry',
    reason: /^SMTP 450 after RCPT: .*Greylisted/,
    exchange: { request: { headers: { to: 'grey@example.com' } }, response: { status: 450 } },
  })
  const full = await runAction(email, { config: { ...base, to: ['a@example.com'] } })
  t.match(full, { outcome: 'retry', reason: /^SMTP 452 .*Insufficient system storage/, exchange: { response: { status: 452 } } })
  t.match(full.exchange?.response?.body?.toString(), /452 4\.3\.1 Insufficient system storage/)
  t.match(await runAction(email, { config: { ...base, to: ['a@example.com'] } }), { outcome: 'ok' }, 'and goes through once the server takes it')
  t.equal(sink.mails.length, 1)
})

t.test('a 5xx permanent rejection fails, with the server’s reply recorded', async (t) => {
  const sink = await startSmtpSink(t, {
    rcpt: (a) => (a === 'nobody@example.com' ? { code: 550, message: '5.1.1 <nobody@example.com>: Recipient address rejected: User unknown' } : undefined),
    data: [{ code: 554, message: '5.7.1 Message rejected as spam' }],
  })
  const base = { ...server(sink), from: 'relay@example.com' }
  const unknown = await runAction(email, { config: { ...base, to: ['nobody@example.com'] } })
  t.match(unknown, { outcome: 'fail', reason: /^SMTP 550 after RCPT: .*User unknown/, exchange: { response: { status: 550 } } })
  t.match(await runAction(email, { config: { ...base, to: ['a@example.com'] } }), { outcome: 'fail', reason: /^SMTP 554 .*rejected as spam/ })
  t.equal(sink.mails.length, 0)
})

t.test('some recipients rejected: sent to the rest, the rejected ones recorded', async (t) => {
  const sink = await startSmtpSink(t, { rcpt: (a) => (a === 'gone@example.com' ? { code: 550, message: '5.1.1 User unknown' } : undefined) })
  const log = createRecordingLogger()
  const result = await runAction(email, { config: { ...server(sink), from: 'relay@example.com', to: ['a@example.com', 'gone@example.com'] }, log })
  t.match(result, { outcome: 'ok', exchange: { response: { headers: { accepted: 'a@example.com', rejected: 'gone@example.com' } } } })
  t.same(sink.mails[0]!.rcptTo, ['a@example.com'])
  t.match(log.entries, [{ level: 'warn', obj: { rejected: 1, accepted: 1 } }])
})

t.test('an unreachable server is retried', async (t) => {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as { port: number }
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  t.match(await runAction(email, { config: { host: '127.0.0.1', port, from: 'relay@example.com', to: ['a@example.com'] } }), {
    outcome: 'retry',
    reason: /ECONNREFUSED/,
    exchange: { request: { url: `smtp://127.0.0.1:${port}` } },
  })
})

t.test('a server that never greets is given up on after timeoutMs, and retried', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((s) => sockets.add(s))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    silent.close()
  })
  const { port } = silent.address() as { port: number }
  const started = Date.now()
  const result = await runAction(email, { config: { host: '127.0.0.1', port, from: 'relay@example.com', to: ['a@example.com'], timeoutMs: 300 } })
  const took = Date.now() - started
  t.match(result, { outcome: 'retry', reason: /Greeting never received|timeout/i })
  t.ok(took >= 250 && took < 2000, `gave up after ${took} ms`)
})

t.test('the pool reuses one connection for a burst of mails', async (t) => {
  const sink = await startSmtpSink(t)
  const config = { ...server(sink), from: 'relay@example.com', to: ['a@example.com'], maxConnections: 1 }
  const results = await Promise.all(Array.from({ length: 5 }, (_, i) => runAction(email, { config, event: { body: Buffer.from(`{"n":${i}}`) } })))
  t.same(results.map((r) => r.outcome), ['ok', 'ok', 'ok', 'ok', 'ok'])
  t.equal(sink.mails.length, 5)
  t.equal(sink.connections(), 1, 'one SMTP session for five mails')
})

t.test('a subject template cannot add a header line', async (t) => {
  const sink = await startSmtpSink(t)
  await runAction(email, {
    config: { ...server(sink), from: 'relay@example.com', to: ['a@example.com'], subject: '{{ payload.title }}' },
    event: { body: Buffer.from('{"title":"hi\\r\\nBcc: victim@example.com"}') },
  })
  t.equal(sink.mails[0]!.parsed.subject, 'hi Bcc: victim@example.com')
  t.same(sink.mails[0]!.rcptTo, ['a@example.com'])
})

t.test('a broken template fails without a mail', async (t) => {
  const sink = await startSmtpSink(t)
  t.match(await runAction(email, { config: { ...server(sink), from: 'relay@example.com', to: ['a@example.com'], html: '{% if %}' } }), { outcome: 'fail', reason: /^template html: / })
  t.equal(sink.mails.length, 0)
})

t.test('the config needs recipients and a whole login, and refuses header injection', async (t) => {
  const base = { host: 'smtp.example.com', from: 'relay@example.com' }
  const bad: unknown[] = [
    base,
    { ...base, to: [] },
    { ...base, to: ['not-an-address'] },
    { ...base, to: ['a@example.com\r\nBcc: x@example.com'] },
    { ...base, to: ['a@example.com'], from: 'relay@example.com\r\nBcc: x@example.com' },
    { ...base, to: ['a@example.com'], password: 'p' },
    { ...base, to: ['a@example.com'], username: 'u' },
    { ...base, to: ['a@example.com'], recipientsPath: 'a..b' },
    { ...base, to: ['a@example.com'], port: 0 },
    { ...base, to: ['a@example.com'], host: 'smtp.example.com:25\r\n' },
    { ...base, to: ['a@example.com'], tls: true },
  ]
  for (const config of bad) await t.rejects(runAction(email, { config }), /config rejected by email/, JSON.stringify(config))
  const good: unknown[] = [
    { ...base, to: ['a@example.com'] },
    { ...base, recipientsPath: '$.customer.emails[0]' },
    { ...base, from: 'Webhook Relay <relay@example.com>', to: ['a@example.com'], username: 'u', password: 'p', secure: true, port: 465 },
  ]
  for (const config of good) t.ok(Value.Check(email.config, config), JSON.stringify(config))
})

t.test('the SMTP connection goes through the SSRF guard: loopback and private hosts are refused, permanently', async (t) => {
  const sink = await startSmtpSink(t)
  const config = { ...server(sink), from: 'relay@example.com', to: ['a@example.com'] }
  // No allow-list: the relay's production default. The sink on 127.0.0.1 must not be reached.
  const byAddress = await runAction(email, { config, allowCidrs: [] })
  t.match(byAddress, { outcome: 'fail', reason: /RELAY_ERR_EGRESS_REFUSED: outgoing request refused: 127\.0\.0\.1 is a private, loopback/ })
  const byName = await runAction(email, { config: { ...config, host: 'localhost' }, allowCidrs: [] })
  t.match(byName, { outcome: 'fail', reason: /refused: (127\.0\.0\.1|::1) \(localhost resolves to it\)/ })
  const metadata = await runAction(email, { config: { ...config, host: '169.254.169.254', port: 25 }, allowCidrs: [] })
  t.match(metadata, { outcome: 'fail', reason: /169\.254\.169\.254/ })
  t.equal(sink.mails.length, 0, 'nothing reached the server')
  // The same server, allowed explicitly (as RELAY_EGRESS_ALLOW does), is reached.
  t.match(await runAction(email, { config, allowCidrs: ['127.0.0.0/8'] }), { outcome: 'ok' })
  t.equal(sink.mails.length, 1)
})
