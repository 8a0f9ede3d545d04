// The Slack plugin alone, through the plugin harness, against a local stand-in that
// answers as Slack's incoming webhooks do (bodies, content types, 1 message/second).
import t from 'tap'
import { createRecordingLogger, runAction } from '@webhook-relay/core/testing'
import slack from '../src/index.ts'
import { startFakeSlack } from './slack-api.ts'

const fake = await startFakeSlack()
t.teardown(() => fake.close())

const json = (value: unknown) => Buffer.from(JSON.stringify(value))
const repository = { full_name: 'acme/api', html_url: 'https://github.com/acme/api' }
const push = {
  ref: 'refs/heads/main',
  compare: 'https://github.com/acme/api/compare/1111111...2222222',
  pusher: { name: 'octocat' },
  repository,
  commits: [
    { id: '2222222abcdef', url: 'https://github.com/acme/api/commit/2222222', message: 'Fix <script> & tags\n\nlong body', author: { name: 'Mona' } },
    { id: '3333333abcdef', url: 'https://github.com/acme/api/commit/3333333', message: 'Second', author: { name: 'Hubot' } },
  ],
}
const githubEvent = (name: string, body: unknown) => ({ body: json(body), headers: { 'x-github-event': name }, contentType: 'application/json' })

t.test('GitHub push: text with the commits, escaped, and blocks', async (t) => {
  const webhookUrl = fake.webhook()
  const result = await runAction(slack, { config: { webhookUrl }, event: githubEvent('push', push) })
  t.equal(result.outcome, 'ok')
  const msg = fake.messages.at(-1)!
  t.equal(msg.contentType, 'application/json; charset=utf-8')
  t.equal(
    msg.body.text,
    '[<https://github.com/acme/api|acme/api>] 2 new commits pushed to <https://github.com/acme/api/compare/1111111...2222222|main> by octocat\n' +
      '<https://github.com/acme/api/commit/2222222|`2222222`> Fix &lt;script&gt; &amp; tags - Mona\n' +
      '<https://github.com/acme/api/commit/3333333|`3333333`> Second - Hubot',
  )
  t.match(msg.body.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: msg.body.text } }, { type: 'context', elements: [{ text: /GitHub push · test-source · event / }] }])
})

t.test('GitHub pull request and issue events', async (t) => {
  const webhookUrl = fake.webhook()
  const sender = { login: 'mona' }
  const pr = { action: 'opened', number: 7, pull_request: { number: 7, title: 'Add <b>', html_url: 'https://github.com/acme/api/pull/7' }, repository, sender }
  t.equal((await runAction(slack, { config: { webhookUrl }, event: githubEvent('pull_request', pr) })).outcome, 'ok')
  t.equal(fake.messages.at(-1)!.body.text, '[<https://github.com/acme/api|acme/api>] Pull request opened: <https://github.com/acme/api/pull/7|#7 Add &lt;b&gt;> by mona')
  await new Promise((r) => setTimeout(r, 1000)) // Slack's one message per second
  const issue = { action: 'closed', issue: { number: 9, title: 'Crash', html_url: 'https://github.com/acme/api/issues/9' }, repository, sender }
  t.equal((await runAction(slack, { config: { webhookUrl }, event: githubEvent('issues', issue) })).outcome, 'ok')
  t.equal(fake.messages.at(-1)!.body.text, '[<https://github.com/acme/api|acme/api>] Issue closed: <https://github.com/acme/api/issues/9|#9 Crash> by mona')
})

t.test('any other event gets the generic message with the body in a code block', async (t) => {
  const webhookUrl = fake.webhook()
  const result = await runAction(slack, { config: { webhookUrl }, event: { body: json({ type: 'invoice.paid', amount: 42 }), sourceSlug: 'stripe' } })
  t.equal(result.outcome, 'ok')
  const msg = fake.messages.at(-1)!
  t.equal(msg.body.text, 'New event on *stripe*')
  t.match(msg.body.blocks, [{ type: 'section' }, { type: 'section', text: { text: '```{"type":"invoice.paid","amount":42}```' } }, { type: 'context' }])
  t.equal((await runAction(slack, { config: { webhookUrl: fake.webhook(), preset: 'generic' }, event: githubEvent('push', push) }).then(() => fake.messages.at(-1)!.body.text)), 'New event on *test-source* (push)', 'preset generic ignores GitHub')
})

t.test('custom text and Block Kit templates see the event fields; text is always set', async (t) => {
  const webhookUrl = fake.webhook()
  const config = {
    webhookUrl,
    text: 'Order {{ payload.order.id }} paid: {{ payload.order.total }} {{ payload.order.currency | upper }}',
    blocks: '[{"type": "header", "text": {"type": "plain_text", "text": {{ ("Order " + payload.order.id) | json }}}}, {"type": "section", "text": {"type": "mrkdwn", "text": {{ text | json }}}}]',
  }
  const result = await runAction(slack, { config, event: { body: json({ order: { id: 'A-1', total: 12.5, currency: 'eur' } }) } })
  t.equal(result.outcome, 'ok')
  t.same(fake.messages.at(-1)!.body, {
    text: 'Order A-1 paid: 12.5 EUR',
    blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Order A-1' } }, { type: 'section', text: { type: 'mrkdwn', text: 'Order A-1 paid: 12.5 EUR' } }],
  })
  await new Promise((r) => setTimeout(r, 1000))
  await runAction(slack, { config: { webhookUrl, text: '{{ payload.missing }}' } })
  t.equal(fake.messages.at(-1)!.body.text, 'New event on *test-source*', 'a text template that renders nothing falls back to the generic line')
})

t.test('one message per second: 429 with Retry-After is retried after that delay', async (t) => {
  const webhookUrl = fake.webhook()
  t.equal((await runAction(slack, { config: { webhookUrl } })).outcome, 'ok')
  const limited = await runAction(slack, { config: { webhookUrl } })
  t.match(limited, { outcome: 'retry', afterMs: 1000, reason: 'HTTP 429 Too Many Requests: slack said rate_limited' })
  await new Promise((r) => setTimeout(r, 1000))
  t.equal((await runAction(slack, { config: { webhookUrl } })).outcome, 'ok', 'accepted once the second has passed')
})

t.test('Slack errors: permanent ones dead-letter with Slack’s code as the reason', async (t) => {
  const cases = [
    ['channel_not_found', 'HTTP 404 Not Found: slack said channel_not_found', false],
    ['no_service', 'HTTP 404 Not Found: slack said no_service', false],
    ['channel_is_archived', 'HTTP 410 Gone: slack said channel_is_archived', true],
    ['invalid_payload', 'HTTP 400 Bad Request: slack said invalid_payload', false],
    ['invalid_token', 'HTTP 403 Forbidden: slack said invalid_token', false],
  ] as const
  for (const [state, reason, disable] of cases) {
    const result = await runAction(slack, { config: { webhookUrl: fake.webhook(state) } })
    t.match(result, { outcome: 'fail', reason }, state)
    t.equal(result.outcome === 'fail' && result.disableSubscription === true, disable, `${state}: subscription disabled ${disable}`)
    t.match(result.exchange?.response, { status: result.exchange?.response?.status, body: Buffer.from(state) }, 'Slack’s answer is recorded')
  }
})

t.test('blocks Slack would refuse are caught before sending, as permanent failures', async (t) => {
  const webhookUrl = fake.webhook()
  const before = fake.answers.length
  t.match(await runAction(slack, { config: { webhookUrl, blocks: '{"not": "blocks"}' } }), { outcome: 'fail', reason: /must render a JSON array/ })
  t.match(await runAction(slack, { config: { webhookUrl, blocks: '[{{ payload.x }' } }), { outcome: 'fail', reason: /^template blocks: / })
  t.match(await runAction(slack, { config: { webhookUrl, blocks: '[{"type": "section", "text": {{ payload.title }}}]' } }), { outcome: 'fail', reason: /did not render JSON/ })
  t.equal(fake.answers.length, before, 'nothing was sent')
})

t.test('a template cannot reach JavaScript through constructor', async (t) => {
  const result = await runAction(slack, { config: { webhookUrl: fake.webhook(), text: '{{ "".constructor.constructor("return process")().exit(3) }}' } })
  t.match(result, { outcome: 'fail', reason: /template text: .*Unable to call/ })
})

t.test('the webhook URL is a secret: masked in the recorded request, never logged', async (t) => {
  t.same(slack.secrets, ['webhookUrl'])
  const webhookUrl = fake.webhook()
  const log = createRecordingLogger()
  const result = await runAction(slack, { config: { webhookUrl }, log })
  const recorded = result.exchange?.request?.url ?? ''
  t.match(recorded, /\/services\/T0RELAY\d+\/B0RELAY\d+\/\*{8}$/)
  t.notOk(recorded.includes('Xk3yS3cr3t'), 'the token is not in the delivery log')
  t.notOk(JSON.stringify(log.entries).includes('Xk3yS3cr3t'))
})

t.test('config is validated like the relay does at subscription create', async (t) => {
  await t.rejects(runAction(slack, { config: {} }), /webhookUrl/)
  await t.rejects(runAction(slack, { config: { webhookUrl: 'ftp://x' } }), /config rejected/)
  await t.rejects(runAction(slack, { config: { webhookUrl: fake.webhook(), channel: '#ops' } }), /config rejected/, 'unknown fields are refused')
  await t.rejects(runAction(slack, { config: { webhookUrl: fake.webhook(), preset: 'jira' } }), /config rejected/)
})

t.test('connection errors and 5xx are retried', async (t) => {
  t.match(await runAction(slack, { config: { webhookUrl: 'http://127.0.0.1:1/services/T/B/X' } }), { outcome: 'retry' })
})
