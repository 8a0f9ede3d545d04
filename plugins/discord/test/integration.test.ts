// Discord through a real relay: an event reaches the channel with mentions off and the
// webhook URL masked; an unknown webhook (404) dead-letters with Discord's message.
import t from 'tap'
import { createTestEnv, eventually } from '@webhook-relay/core/testing'
import { startFakeDiscord } from './discord-api.ts'

const env = await createTestEnv('discord')
t.teardown(() => env.close())
const relay = await env.start('all')
const fake = await startFakeDiscord()
t.teardown(() => fake.close())

async function subscribe(slug: string, webhookUrl: string) {
  const source = (await relay.api('/api/v1/sources', { body: { name: slug, slug } })).body
  const r = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'discord', config: { webhookUrl, content: 'Alert: {{ payload.alert }}' } } })
  if (r.status !== 201) throw new Error(JSON.stringify(r.body))
  return r.body
}
const send = async (slug: string, body: unknown) =>
  ((await (await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json()) as { eventId: string }).eventId

t.test('an event reaches the channel', async (t) => {
  const sub = await subscribe('ok', fake.webhook())
  t.equal(sub.config.webhookUrl, '********')
  await send('ok', { alert: 'disk full @everyone' })
  await eventually(() => fake.posts.length === 1, 'the post to reach Discord')
  t.same(fake.posts[0]!.body, { content: 'Alert: disk full @everyone', allowed_mentions: { parse: [] } })
})

t.test('an unknown webhook dead-letters with Discord’s message', async (t) => {
  await subscribe('gone', fake.webhook('unknown'))
  const eventId = await send('gone', { alert: 'x' })
  const d = await eventually(async () => {
    const x = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries[0]
    return x?.status === 'dead' ? x : null
  }, 'the delivery to go dead')
  const dl = (await relay.api(`/api/v1/dead-letters/${d.id}`)).body
  t.match(dl, { reason: 'permanent', lastError: 'HTTP 404 Not Found: discord said Unknown Webhook (10015)', attemptCount: 1 })
  t.match(dl.attempts[0].request.url, /\/api\/webhooks\/\d+\/\*{8}$/)
})
