// The Discord plugin alone, through the plugin harness, against a local stand-in that
// answers as Discord's execute-webhook endpoint does.
import t from 'tap'
import { createRecordingLogger, runAction } from '@webhook-relay/core/testing'
import discord from '../src/index.ts'
import { discordRetryAfterMs } from '../src/rate-limit.ts'
import { RATE_LIMIT, startFakeDiscord } from './discord-api.ts'

const fake = await startFakeDiscord()
t.teardown(() => fake.close())
const json = (value: unknown) => Buffer.from(JSON.stringify(value))
const repository = { full_name: 'acme/api', html_url: 'https://github.com/acme/api' }

t.test('a GitHub pull request becomes content; mentions are off by default', async (t) => {
  const pr = { action: 'opened', pull_request: { number: 7, title: 'Ping @everyone', html_url: 'https://github.com/acme/api/pull/7' }, repository, sender: { login: 'mona' } }
  const result = await runAction(discord, { config: { webhookUrl: fake.webhook() }, event: { body: json(pr), headers: { 'X-GitHub-Event': 'pull_request' } } })
  t.equal(result.outcome, 'ok')
  const post = fake.posts.at(-1)!
  t.equal(post.query.get('wait'), 'true')
  t.same(post.body, {
    content: '**[acme/api](https://github.com/acme/api)** Pull request opened: [#7 Ping @everyone](<https://github.com/acme/api/pull/7>) by mona',
    allowed_mentions: { parse: [] },
  })
  t.match(result.exchange?.response, { status: 200 })
})

t.test('content and embeds templates, username, avatar, thread, opted-in mentions', async (t) => {
  const config = {
    webhookUrl: fake.webhook(),
    content: 'Deploy of {{ payload.service }} {{ payload.status }}',
    embeds: '[{"title": {{ payload.service | json }}, "color": {{ 3066993 if payload.status == "ok" else 15158332 }}, "fields": [{"name": "version", "value": {{ payload.version | json }}}]}]',
    username: 'Relay',
    avatarUrl: 'https://example.com/a.png',
    threadId: '998877',
    allowedMentions: ['roles'],
  }
  t.equal((await runAction(discord, { config, event: { body: json({ service: 'api', status: 'ok', version: '1.2.3' }) } })).outcome, 'ok')
  const post = fake.posts.at(-1)!
  t.equal(post.query.get('thread_id'), '998877')
  t.same(post.body, {
    content: 'Deploy of api ok',
    embeds: [{ title: 'api', color: 3066993, fields: [{ name: 'version', value: '1.2.3' }] }],
    username: 'Relay',
    avatar_url: 'https://example.com/a.png',
    allowed_mentions: { parse: ['roles'] },
  })
})

t.test('generic content for other events, cut to Discord’s 2000 characters', async (t) => {
  const webhookUrl = fake.webhook()
  t.equal((await runAction(discord, { config: { webhookUrl }, event: { body: json({ a: 1 }), sourceSlug: 'stripe' } })).outcome, 'ok')
  t.equal(fake.posts.at(-1)!.body.content, 'New event on **stripe**\n```json\n{"a":1}\n```')
  const long = await runAction(discord, { config: { webhookUrl, content: '{{ body }}' }, event: { body: Buffer.from('x'.repeat(5000)), contentType: 'text/plain' } })
  t.equal(long.outcome, 'ok', 'a long render is cut, not refused')
  t.equal(String(fake.posts.at(-1)!.body.content).length, 2000)
})

t.test('429: waits the longest of retry_after (body), Retry-After and X-RateLimit-Reset-After', async (t) => {
  const webhookUrl = fake.webhook()
  for (let i = 0; i < RATE_LIMIT; i++) t.equal((await runAction(discord, { config: { webhookUrl } })).outcome, 'ok')
  const limited = await runAction(discord, { config: { webhookUrl } })
  t.match(limited, { outcome: 'retry', reason: 'HTTP 429 Too Many Requests: discord said You are being rate limited.' })
  t.ok(limited.outcome === 'retry' && limited.afterMs! >= 1000 && limited.afterMs! <= 2000, `afterMs ${limited.outcome === 'retry' ? limited.afterMs : ''} is the header's whole seconds`)
  t.equal(discordRetryAfterMs({}, { retry_after: 2.5301 }), 2531, 'body alone, fractional seconds rounded up')
  t.equal(discordRetryAfterMs({ 'Retry-After': '1', 'X-RateLimit-Reset-After': '0.529' }, { retry_after: 0.529 }), 1000)
  t.equal(discordRetryAfterMs({}, { message: 'no' }), undefined)
})

t.test('404 Unknown Webhook and 401 bad token fail permanently with Discord’s message', async (t) => {
  t.match(await runAction(discord, { config: { webhookUrl: fake.webhook('unknown') } }), { outcome: 'fail', reason: 'HTTP 404 Not Found: discord said Unknown Webhook (10015)' })
  t.match(await runAction(discord, { config: { webhookUrl: fake.webhook('bad_token') } }), { outcome: 'fail', reason: 'HTTP 401 Unauthorized: discord said Invalid Webhook Token (50027)' })
})

t.test('bad embeds templates fail before sending', async (t) => {
  const before = fake.posts.length
  t.match(await runAction(discord, { config: { webhookUrl: fake.webhook(), embeds: '{"title": "x"}' } }), { outcome: 'fail', reason: /JSON array of embeds/ })
  t.match(await runAction(discord, { config: { webhookUrl: fake.webhook(), embeds: `[${Array(11).fill('{}').join(',')}]` } }), { outcome: 'fail', reason: /at most 10/ })
  t.equal(fake.posts.length, before)
})

t.test('the webhook URL is a secret: masked in the recorded request, never logged', async (t) => {
  t.same(discord.secrets, ['webhookUrl'])
  const log = createRecordingLogger()
  const result = await runAction(discord, { config: { webhookUrl: fake.webhook() }, log })
  t.match(result.exchange?.request?.url, /\/api\/webhooks\/\d+\/\*{8}$/)
  t.notOk(JSON.stringify(result.exchange?.request).includes('t0k3nS3cr3t'))
  t.notOk(JSON.stringify(log.entries).includes('t0k3nS3cr3t'))
})

t.test('config is validated like the relay does at subscription create', async (t) => {
  await t.rejects(runAction(discord, { config: { webhookUrl: fake.webhook(), allowedMentions: ['here'] } }), /config rejected/)
  await t.rejects(runAction(discord, { config: { webhookUrl: fake.webhook(), tts: true } }), /config rejected/)
})
