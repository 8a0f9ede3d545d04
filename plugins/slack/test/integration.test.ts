// Slack through a real relay: a GitHub push reaches the channel; the webhook URL is
// masked by the API and in the delivery log; an archived channel dead-letters the
// delivery with Slack's reason and disables the subscription.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createTestEnv, eventually } from '@webhook-relay/core/testing'
import { startFakeSlack } from './slack-api.ts'

const env = await createTestEnv('slack', { RELAY_PLUGINS: '@webhook-relay/plugin-slack,@webhook-relay/plugin-dlq' })
t.teardown(() => env.close())
const relay = await env.start('all')
const fake = await startFakeSlack()
t.teardown(() => fake.close())

async function subscribe(slug: string, webhookUrl: string) {
  const source = (await relay.api('/api/v1/sources', { body: { name: slug, slug } })).body
  const r = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'slack', config: { webhookUrl } } })
  if (r.status !== 201) throw new Error(JSON.stringify(r.body))
  return r.body
}
const send = async (slug: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })
  return ((await res.json()) as { eventId: string }).eventId
}

t.test('a GitHub issue event becomes a Slack message', async (t) => {
  const sub = await subscribe('gh', fake.webhook())
  t.equal(sub.config.webhookUrl, '********', 'the API never shows the webhook URL')
  const issue = { action: 'opened', issue: { number: 3, title: 'Broken build', html_url: 'https://github.com/acme/api/issues/3' }, repository: { full_name: 'acme/api', html_url: 'https://github.com/acme/api' }, sender: { login: 'mona' } }
  const eventId = await send('gh', issue, { 'x-github-event': 'issues' })
  await eventually(() => fake.messages.length === 1, 'the message to reach Slack')
  t.equal(fake.messages[0]!.body.text, '[<https://github.com/acme/api|acme/api>] Issue opened: <https://github.com/acme/api/issues/3|#3 Broken build> by mona')
  const [d] = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries
  const detail = await eventually(async () => {
    const x = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
    return x.status === 'succeeded' ? x : null
  }, 'the delivery to be recorded')
  t.match(detail.attempts[0].request.url, /\/services\/T0RELAY\d+\/B0RELAY\d+\/\*{8}$/, 'the delivery log has the URL masked')
  t.match(detail.attempts[0].response, { status: 200, body: 'ok' })
})

t.test('an archived channel: dead letter with Slack’s reason, subscription disabled', async (t) => {
  const sub = await subscribe('archived', fake.webhook('channel_is_archived'))
  const eventId = await send('archived', { hello: 'world' })
  const d = await eventually(async () => {
    const x = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries[0]
    return x?.status === 'dead' ? x : null
  }, 'the delivery to go dead')
  const dl = (await relay.api(`/api/v1/dead-letters/${d.id}`)).body
  t.match(dl, { reason: 'permanent', lastError: 'HTTP 410 Gone: slack said channel_is_archived', attemptCount: 1 })
  const s = (await relay.api(`/api/v1/subscriptions/${sub.id}`)).body
  t.equal(s.enabled, false)
})

t.test('a template that loops too long is stopped: dead letter with the reason, the other subscription delivered', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'loops', slug: 'loops' } })).body
  const hostile = '{% for a in payload.items %}{% for b in payload.items %}{{ a }}{% endfor %}{% endfor %}'
  const looping = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'slack', config: { webhookUrl: fake.webhook(), text: hostile } } })
  t.equal(looping.status, 201)
  const plain = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'slack', config: { webhookUrl: fake.webhook(), text: '{{ payload.items | length }} items' } } })
  t.equal(plain.status, 201)
  const before = fake.messages.length
  const eventId = await send('loops', { items: Array.from({ length: 3000 }, (_, i) => i) })
  const deliveries = await eventually(async () => {
    const ds = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries as { id: string; subscriptionId: string; status: string }[]
    return ds.length === 2 && ds.every((d) => d.status === 'dead' || d.status === 'succeeded') ? ds : null
  }, 'both deliveries to finish')
  const stopped = deliveries.find((d) => d.subscriptionId === looping.body.id)!
  t.equal(stopped.status, 'dead')
  const dl = (await relay.api(`/api/v1/dead-letters/${stopped.id}`)).body
  t.match(dl, { reason: 'permanent', attemptCount: 1, lastError: /^template text was stopped: it (did more than [\d,]+ steps of work|ran longer than \d+ ms|produced more than [\d,]+ characters); a template must stay small/ })
  t.equal(deliveries.find((d) => d.subscriptionId === plain.body.id)!.status, 'succeeded')
  t.equal(fake.messages.length, before + 1, 'only the plain subscription posted')
  t.equal(fake.messages.at(-1)!.body.text, '3000 items')
})

t.test('the shipped GitHub-push-to-Slack transform: its output is the message Slack gets', async (t) => {
  const code = readFileSync(new URL('../../../examples/transforms/github-push-to-slack.js', import.meta.url), 'utf8')
  const push = readFileSync(new URL('../../../examples/transforms/test/fixtures/github-push.json', import.meta.url), 'utf8')
  const script = await relay.api('/api/v1/transforms', { body: { name: 'github-push-to-slack', code } })
  t.equal(script.status, 201)
  const source = (await relay.api('/api/v1/sources', { body: { name: 'gh-push', slug: 'gh-push' } })).body
  const s = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'slack', config: { webhookUrl: fake.webhook() }, transformVersionId: script.body.versionId } })
  t.equal(s.status, 201)
  const preview = await relay.api('/api/v1/transforms/test', { body: { code, payload: { body: JSON.parse(push), headers: { 'x-github-event': 'push' } } } })
  const before = fake.messages.length
  await send('gh-push', JSON.parse(push), { 'x-github-event': 'push' })
  await eventually(() => fake.messages.length === before + 1, 'the message to reach Slack')
  const got = fake.messages.at(-1)!.body
  t.same(got, JSON.parse(preview.body.output.body), 'exactly what the transform returned, not the GitHub preset')
  t.equal(got.text, 'octocat pushed 2 commits to main in acme/webhook-relay')
  t.equal((got.blocks as unknown[]).length, 3)
})

t.test('a transform whose output is not a Slack message: dead letter saying so', async (t) => {
  const script = await relay.api('/api/v1/transforms', { body: { name: 'not-a-message', code: 'function transform(e) { return { hello: 1 } }' } })
  const source = (await relay.api('/api/v1/sources', { body: { name: 'bad-shape', slug: 'bad-shape' } })).body
  await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'slack', config: { webhookUrl: fake.webhook() }, transformVersionId: script.body.versionId } })
  const eventId = await send('bad-shape', { x: 1 })
  const d = await eventually(async () => {
    const x = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries[0]
    return x?.status === 'dead' ? x : null
  }, 'the delivery to go dead')
  const dl = (await relay.api(`/api/v1/dead-letters/${d.id}`)).body
  t.match(dl, { reason: 'permanent', lastError: /the transform's Slack message needs a non-empty "text"/ })
})
