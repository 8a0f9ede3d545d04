// Failover as an operator sees it: a worker killed with -9 while deliveries to a slow
// receiver are in flight, and a fresh worker started. With the idle-time reclaim at its
// production default (120 s), only the liveness keys can bring them back in seconds.
// And the other side of it: two live workers behind a slow receiver never take each
// other's work, so nothing is sent twice.
import t from 'tap'
import { runFailover } from '../../src/testing/failover.ts'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv, withHttpRelay } from '../env.ts'

/** The goal of issue 13; the benchmark (loadtest/failover.ts) measures the actual time. */
const BOUND_MS = 20_000

t.test('kill -9 a worker with 60 deliveries in flight: all reach the receiver again within 20 s of a new worker', async (t) => {
  const r = await runFailover({ inFlight: 60, receiverDelayMs: 3_000, timeoutMs: 60_000, env: { RELAY_PLUGINS: withHttpRelay() } })
  t.ok(r.allSucceededMs < BOUND_MS, `every delivery succeeded ${r.allSucceededMs} ms after the new worker started (bound ${BOUND_MS} ms)`)
  t.ok(r.allArrivedMs < BOUND_MS, `the last arrived again after ${r.allArrivedMs} ms`)
  t.equal(r.duplicatesAfterKill, 0, 'the takeover sent each delivery once')
})

t.test('two live workers behind a slow receiver: neither takes the other’s work', async (t) => {
  // A short liveness TTL and reclaim keep any wrongful takeover inside the test's time.
  const env = await createCoreTestEnv('live_slow', { RELAY_WORKER_LIVENESS_TTL_MS: '2000', RELAY_RECLAIM_IDLE_MS: '60000', RELAY_DELIVERY_TIMEOUT_MAX_MS: '10000' })
  const sub = await startSubscriber(() => ({ delayMs: 2_500 }))
  t.teardown(async () => {
    await sub.close()
    await env.close()
  })
  const api = await env.start('api')
  await env.start('worker')
  await env.start('worker')
  const source = (await api.api('/api/v1/sources', { body: { name: 'live', slug: 'live' } })).body
  await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/slow`, timeoutMs: 10_000 } } })
  for (let i = 0; i < 40; i++) await fetch(`${api.url}/in/live`, { method: 'POST', body: JSON.stringify({ i }), headers: { 'content-type': 'application/json' } })
  await eventually(async () => {
    const [r] = await env.query<{ n: number }>("SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'")
    return r!.n === 40
  }, 'all 40 delivered', 30_000, 100)
  t.equal(sub.requests.length, 40, 'each delivery was sent exactly once')
  const attempts = await env.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_attempts')
  t.equal(attempts[0]!.n, 40, 'one attempt each')
})
