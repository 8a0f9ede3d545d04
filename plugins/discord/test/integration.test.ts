// Discord through a real relay: an event reaches the channel with mentions off and the
// webhook URL masked; an unknown webhook (404) dead-letters with Discord's message.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createTestEnv, eventually } from '@webhook-relay/core/testing'
import { startFakeDiscord } from './discord-api.ts'

const env = await createTestEnv('discord', { RELAY_PLUGINS: '@webhook-relay/plugin-discord,@webhook-relay/plugin-dlq' })
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

t.test('the shipped Stripe-payment-to-Discord transform: its output is the message Discord gets, mentions still off', async (t) => {
  const code = readFileSync(new URL('../../../examples/transforms/stripe-payment-to-discord.js', import.meta.url), 'utf8')
  const event = JSON.parse(readFileSync(new URL('../../../examples/transforms/test/fixtures/stripe-payment-intent-succeeded.json', import.meta.url), 'utf8'))
  const script = await relay.api('/api/v1/transforms', { body: { name: 'stripe-payment-to-discord', code } })
  t.equal(script.status, 201)
  const source = (await relay.api('/api/v1/sources', { body: { name: 'stripe', slug: 'stripe' } })).body
  const s = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'discord', config: { webhookUrl: fake.webhook() }, transformVersionId: script.body.versionId } })
  t.equal(s.status, 201)
  const preview = await relay.api('/api/v1/transforms/test', { body: { code, payload: { body: event } } })
  const before = fake.posts.length
  await send('stripe', event)
  await eventually(() => fake.posts.length === before + 1, 'the post to reach Discord')
  const got = fake.posts.at(-1)!.body
  t.same(got, { ...JSON.parse(preview.body.output.body), allowed_mentions: { parse: [] } }, 'the transform\'s message, with the subscription\'s mention policy')
  t.match((got.embeds as { title: string }[])[0]!.title, /^Payment (received|succeeded)/)
})
