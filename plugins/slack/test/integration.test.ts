// Slack through a real relay: a GitHub push reaches the channel; the webhook URL is
// masked by the API and in the delivery log; an archived channel dead-letters the
// delivery with Slack's reason and disables the subscription.
import t from 'tap'
import { createTestEnv, eventually } from '@webhook-relay/core/testing'
import { startFakeSlack } from './slack-api.ts'

const env = await createTestEnv('slack')
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
