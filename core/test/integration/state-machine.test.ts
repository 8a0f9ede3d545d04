// The delivery state machine through a running relay, as a subscriber and an operator
// see it: a duplicate stream entry does not send a retry early, a disabled subscription
// receives nothing more (its work is paused, visibly, and resumes when enabled), a worker
// that lacks a plugin during a rolling deploy retries instead of dead-lettering, and no
// Redis key grows with every dead delivery.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { eventually, startSubscriber, type SubscriberReply } from '../../src/testing/index.ts'
import { createCoreTestEnv, DLQ, withHttpRelay } from '../env.ts'

const NEXT_PLUGIN = fileURLToPath(new URL('../fixtures/plugins/http-relay-next.ts', import.meta.url))
const env = await createCoreTestEnv('state_machine', { RELAY_RETRY_SCHEDULE: Array(10).fill('500ms').join(','), RELAY_PLUGINS: `${DLQ},${NEXT_PLUGIN}` })
t.teardown(() => env.close())
const api = await env.start('api')
const redis = env.redis()

let up = false
const sub = await startSubscriber((req): SubscriberReply => {
  if (req.path === '/later') return { status: 503, headers: { 'retry-after': '30' } }
  if (req.path === '/down') return up ? {} : { status: 503 }
  if (req.path === '/bad') return { status: 400 }
  return {}
})
t.teardown(() => sub.close())

let n = 0
async function subscribed(path: string, action = 'http-relay') {
  const slug = `sm${++n}`
  const source = (await api.api('/api/v1/sources', { body: { name: slug, slug } })).body
  const s = await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action, config: { url: `${sub.url}${path}` } } })
  if (s.status !== 201) throw new Error(JSON.stringify(s.body))
  const send = async () => {
    const r = await fetch(`${api.url}/in/${slug}`, { method: 'POST', body: JSON.stringify({ n }), headers: { 'content-type': 'application/json' } })
    return ((await r.json()) as { eventId: string }).eventId
  }
  return { subscription: s.body, send }
}
const deliveryOf = async (eventId: string) => {
  const ds = (await api.api(`/api/v1/events/${eventId}`)).body.deliveries as { id: string }[]
  return ds[0] ? (await api.api(`/api/v1/deliveries/${ds[0].id}`)).body : null
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('workers', async (t) => {
  // The old version of the worker: it has not got the plugin the api already offers.
  const worker = await env.start('worker', { RELAY_PLUGINS: withHttpRelay(DLQ) })

  t.test('a duplicate stream entry does not send a retry that is due later', async (t) => {
    const { send } = await subscribed('/later')
    const eventId = await send()
    const d = await eventually(async () => {
      const x = await deliveryOf(eventId)
      return x?.status === 'retrying' ? x : null
    }, 'the first attempt to ask for a retry in 30 s')
    t.equal(sub.to('/later').length, 1)
    // What a reclaim, a reconciler refill or a racing "retry now" leaves behind.
    await redis.xadd(`${env.redisPrefix}relay:v1:deliveries`, '*', 'd', d.id)
    await redis.xadd(`${env.redisPrefix}relay:v1:deliveries`, '*', 'd', d.id)
    await sleep(2_000)
    t.equal(sub.to('/later').length, 1, 'nothing was sent early')
    const due = Number(await redis.zscore(`${env.redisPrefix}relay:v1:retries`, d.id))
    t.ok(Math.abs(due - Date.parse(d.nextAttemptAt)) < 1_000, 'it still waits in the retry set for its time')
    t.equal((await deliveryOf(eventId)).attemptCount, 1, 'no attempt was counted')
  })

  t.test('a disabled subscription receives nothing more; its work is paused and resumes when enabled', async (t) => {
    up = false
    const { subscription, send } = await subscribed('/down')
    const eventId = await send()
    await eventually(() => sub.to('/down').length >= 2, 'two failed attempts')
    t.equal((await api.api(`/api/v1/subscriptions/${subscription.id}`, { method: 'PATCH', body: { enabled: false } })).status, 200)
    // An attempt already on the wire when the switch flipped may still land.
    await sleep(300)
    const atDisable = sub.to('/down').length
    await sleep(4_000)
    t.equal(sub.to('/down').length, atDisable, 'no request in 4 s (8 retry periods) after disabling')
    const paused = await eventually(async () => {
      const x = await deliveryOf(eventId)
      return x?.status === 'paused' ? x : null
    }, 'the delivery to show as paused')
    t.equal(paused.nextAttemptAt, null)
    const listed = (await api.api(`/api/v1/deliveries?status=paused&subscriptionId=${subscription.id}`)).body.items
    t.equal(listed.length, 1, 'paused deliveries can be listed')
    t.equal((await api.api(`/api/v1/deliveries/${paused.id}/retry`, { method: 'POST' })).status, 409, 'retry now says why it cannot')

    up = true
    await api.api(`/api/v1/subscriptions/${subscription.id}`, { method: 'PATCH', body: { enabled: true } })
    const done = await eventually(async () => {
      const x = await deliveryOf(eventId)
      return x?.status === 'succeeded' ? x : null
    }, 'the resumed delivery to succeed')
    t.ok(done.attemptCount > 2, `it kept its attempt count (${done.attemptCount})`)
  })

  t.test('a dead delivery leaves no Redis key behind', async (t) => {
    const { send } = await subscribed('/bad')
    const eventId = await send()
    await eventually(async () => (await deliveryOf(eventId))?.status === 'dead', 'the delivery to be dead')
    t.equal(await redis.exists(`${env.redisPrefix}relay:v1:dlq`), 0, 'no dead-letter stream')
    t.equal((await api.api('/api/v1/dead-letters')).body.items.length, 1, 'the dead letter is in the queue')
  })

  t.test('rolling deploy: a worker without the plugin retries, a worker with it delivers', async (t) => {
    const { send } = await subscribed('/next', 'http-relay-next')
    const eventId = await send()
    const waiting = await eventually(async () => {
      const x = await deliveryOf(eventId)
      return x?.status === 'retrying' ? x : null
    }, 'the old worker to ask for a retry')
    t.match(waiting.lastError, /action plugin "http-relay-next" is not installed on this worker/)
    t.equal(sub.to('/next').length, 0)
    // The new version comes up, the old one goes.
    await env.start('worker', { RELAY_PLUGINS: withHttpRelay(DLQ, NEXT_PLUGIN) })
    await worker.stop()
    const done = await eventually(async () => {
      const x = await deliveryOf(eventId)
      return x?.status === 'succeeded' ? x : null
    }, 'the new worker to deliver it')
    t.equal(sub.to('/next').length, 1)
    t.equal(done.deadReason, null)
  })
})
