// The plugin alone, through the relay's test harness, against a local server that
// answers like Mattermost's incoming webhooks.
import t, { type Test } from 'tap'
import { createRecordingLogger, runAction, startTestReceiver } from '@webhook-relay/core/testing'
import plugin from '../src/index.ts'
import { MAX_BODY_CHARS } from '../src/config.ts'
import { startFakeMattermost, type FakeMattermostOptions } from './mattermost-server.ts'

async function mattermost(t: Test, opts?: FakeMattermostOptions) {
  const server = await startFakeMattermost(opts)
  t.teardown(() => server.close())
  return server
}

const json = (value: unknown) => ({ body: Buffer.from(JSON.stringify(value)), contentType: 'application/json' })

t.test('without a template: a header line and the JSON payload in a code block', async (t) => {
  const mm = await mattermost(t)
  const webhookUrl = mm.hook()
  const result = await runAction(plugin, {
    config: { webhookUrl },
    event: { id: 'evt-1', sourceSlug: 'github', ...json({ ref: 'refs/heads/main' }) },
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  })
  t.equal(result.outcome, 'ok')
  t.equal(mm.posts.length, 1)
  const post = mm.posts[0]!
  t.equal(post.channel, 'town-square', 'the hook’s own channel')
  t.equal(post.text, '**Webhook from `github`** (event evt-1)\n```json\n{\n  "ref": "refs/heads/main"\n}\n```')
  t.equal(post.headers['content-type'], 'application/json')
  t.equal(post.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'trace context is forwarded')
  t.match(result.exchange, { request: { method: 'POST', url: `${mm.url}/hooks/********` }, response: { status: 200 } })
  t.equal(result.exchange?.response?.body?.toString(), 'ok')
  t.notOk(JSON.stringify(result.exchange?.request).includes(webhookUrl.slice(-26)), 'the hook key never reaches the delivery log')
})

t.test('a template with channel, username and icon overrides', async (t) => {
  const mm = await mattermost(t, { channels: ['deploys'] })
  const result = await runAction(plugin, {
    config: {
      webhookUrl: mm.hook(),
      text: ':rocket: {{payload.repository.full_name}} deployed by **{{ payload.sender.login }}**{{payload.missing.field}} from {{event.source}}',
      channel: 'deploys',
      username: 'relay',
      iconEmoji: 'rocket',
      iconUrl: 'https://example.com/relay.png',
    },
    event: { sourceSlug: 'ci' },
    payload: json({ repository: { full_name: 'acme/api' }, sender: { login: 'mona' } }),
  })
  t.equal(result.outcome, 'ok')
  t.match(mm.posts[0], {
    channel: 'deploys',
    text: ':rocket: acme/api deployed by **mona** from ci',
    username: 'relay',
    iconEmoji: 'rocket',
    iconUrl: 'https://example.com/relay.png',
  })
})

t.test('a template that renders empty falls back to the default message', async (t) => {
  const mm = await mattermost(t)
  t.equal((await runAction(plugin, { config: { webhookUrl: mm.hook(), text: '{{payload.nothing}}' }, payload: json({ a: 1 }) })).outcome, 'ok')
  t.match(mm.posts[0]!.text, /^\*\*Webhook from `test-source`\*\*/)
})

t.test('a non-JSON body is shown as text, in a fence it cannot close', async (t) => {
  const mm = await mattermost(t)
  const body = Buffer.from('look: ```not the end``` and ````this neither')
  await runAction(plugin, { config: { webhookUrl: mm.hook() }, payload: { body, contentType: 'text/plain' } })
  const text = mm.posts[0]!.text
  t.match(text, /\n`````\nlook: ```not the end``` and ````this neither\n`````$/)
})

t.test('a long body is cut so the post stays one readable message', async (t) => {
  const mm = await mattermost(t)
  await runAction(plugin, { config: { webhookUrl: mm.hook() }, payload: { body: Buffer.from('x'.repeat(MAX_BODY_CHARS + 500)), contentType: 'text/plain' } })
  t.match(mm.posts[0]!.text, /x\n… \(500 more characters\)\n```$/)
})

t.test('a deleted webhook fails and disables the subscription', async (t) => {
  const mm = await mattermost(t)
  const webhookUrl = mm.hook()
  mm.deleteHook(webhookUrl)
  const result = await runAction(plugin, { config: { webhookUrl } })
  t.match(result, {
    outcome: 'fail',
    disableSubscription: true,
    reason: 'HTTP 400 Bad Request: mattermost said web.incoming_webhook.invalid.app_error (Invalid webhook.)',
  })
})

t.test('incoming webhooks turned off by an admin: dead letter now, subscription kept', async (t) => {
  const mm = await mattermost(t)
  mm.setWebhooksEnabled(false)
  const result = await runAction(plugin, { config: { webhookUrl: mm.hook() } })
  t.match(result, { outcome: 'fail', reason: /^HTTP 501 Not Implemented: mattermost said web\.incoming_webhook\.disabled\.app_error/ })
  t.notOk(result.outcome === 'fail' && result.disableSubscription)
})

t.test('an unknown channel fails with Mattermost’s reason', async (t) => {
  const mm = await mattermost(t)
  const result = await runAction(plugin, { config: { webhookUrl: mm.hook(), channel: 'nowhere' } })
  t.match(result, { outcome: 'fail', reason: "HTTP 404 Not Found: mattermost said web.incoming_webhook.channel.app_error (Couldn't find the channel.)" })
})

t.test('rate limited: retried after Retry-After', async (t) => {
  const mm = await mattermost(t, { rateLimitPerSecond: 1 })
  const webhookUrl = mm.hook()
  t.equal((await runAction(plugin, { config: { webhookUrl } })).outcome, 'ok')
  t.match(await runAction(plugin, { config: { webhookUrl } }), { outcome: 'retry', reason: 'HTTP 429 Too Many Requests', afterMs: 1000 })
})

t.test('a server that does not answer in time is retried', async (t) => {
  const slow = await startTestReceiver()
  t.teardown(() => slow.close())
  slow.expect({ status: 200, body: 'ok', delayMs: 1_000 })
  const result = await runAction(plugin, { config: { webhookUrl: `${slow.url}/hooks/abc`, timeoutMs: 100 } })
  t.equal(result.outcome, 'retry')
})

t.test('the schema refuses configs the relay would refuse', async (t) => {
  await t.rejects(runAction(plugin, { config: {} }), /webhookUrl/)
  await t.rejects(runAction(plugin, { config: { webhookUrl: 'ftp://chat.example.com/hooks/x' } }), /webhookUrl/)
  await t.rejects(runAction(plugin, { config: { webhookUrl: 'https://chat.example.com/hooks/x', colour: 'red' } }), /colour|additional/i)
})

t.test('the webhook key is never logged', async (t) => {
  const mm = await mattermost(t)
  const webhookUrl = mm.hook()
  const log = createRecordingLogger()
  await runAction(plugin, { config: { webhookUrl }, log })
  t.ok(log.entries.length > 0, 'the plugin logged something')
  t.notOk(JSON.stringify(log.entries).includes(webhookUrl.slice(-26)))
})

t.test('the manifest the relay sees', async (t) => {
  t.match(plugin, { name: 'mattermost', apiVersion: 1, secrets: ['webhookUrl'] })
})
