// s3 through a real relay: a webhook lands in the bucket byte for byte with its headers
// as metadata, the secret key is sealed and masked, and a missing bucket is dead at once.
import t from 'tap'
import { createTestEnv, eventually, pluginSource } from '@webhook-relay/core/testing'
import { SECRET_ACCESS_KEY, startTestStore } from './s3-store.ts'
import { clientCount } from '../src/clients.ts'

const env = await createTestEnv('s3', { RELAY_PLUGINS: '@webhook-relay/plugin-s3' })
t.teardown(() => env.close())
const relay = await env.start('all')
const store = await startTestStore(t, ['archive'])

const { subscribed: subscribe, allSettled: settled } = await pluginSource(relay, { action: 's3', slug: 'github' })

const archive = await subscribe(store.config('archive'))

t.test('a webhook is archived byte for byte, headers as metadata', async (t) => {
  const body = '{"ref":"refs/heads/main","commits":[{"id":"abc"}]}'
  const res = await fetch(`${relay.url}/in/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'd-1' } })
  const { eventId } = (await res.json()) as { eventId: string }
  await settled(eventId, 'succeeded')
  const [event] = await env.query<{ received_at: Date }>('SELECT received_at FROM events WHERE id = $1', [eventId])
  const at = event!.received_at
  const key = `github/${at.getUTCFullYear()}/${String(at.getUTCMonth() + 1).padStart(2, '0')}/${String(at.getUTCDate()).padStart(2, '0')}/${eventId}.json`
  t.same(await store.keys('archive'), [key])
  const stored = await store.get('archive', key)
  t.equal(stored.body.toString(), body)
  t.equal(stored.contentType, 'application/json')
  t.match(stored.metadata, { 'relay-event-id': eventId, 'relay-source': 'github', 'x-github-event': 'push', 'x-github-delivery': 'd-1' })
})

t.test('the secret key is sealed at rest and masked by the API', async (t) => {
  t.equal((await relay.api(`/api/v1/subscriptions/${archive.id}`)).body.config.secretAccessKey, '********')
  const [row] = await env.query<{ config: Record<string, unknown> }>('SELECT config FROM subscriptions WHERE id = $1', [archive.id])
  t.not(row!.config.secretAccessKey, SECRET_ACCESS_KEY)
})

t.test('a missing bucket is permanent: dead after one attempt, with the store’s error', async (t) => {
  const missing = await subscribe(store.config('no-such-bucket'))
  const res = await fetch(`${relay.url}/in/github`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  const { eventId } = (await res.json()) as { eventId: string }
  const d = await eventually(async () => {
    const ds = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries as { id: string; status: string; subscriptionId: string; attemptCount: number }[]
    return ds.find((x) => x.subscriptionId === missing.id && x.status === 'dead')
  }, 'the delivery to the missing bucket to be dead')
  t.equal(d.attemptCount, 1)
  const detail = (await relay.api(`/api/v1/deliveries/${d.id}`)).body
  t.match(detail.lastError, /^S3 404 NoSuchBucket/)
  t.equal(detail.attempts[0].responseStatus, 404)
})

t.test("the relay's stop destroys the plugin's S3 clients (its close())", async (t) => {
  t.ok(clientCount() > 0, 'clients were kept across deliveries')
  await relay.stop()
  t.equal(clientCount(), 0)
})
