// The traffic rollup against a real relay: events and attempts counted per minute as
// webhooks flow, each subscription's health following its latest outcome, two
// processes adding to the same minute, a failed flush keeping its counts, and pruning.
import pino from 'pino'
import t from 'tap'
import type { Db } from '../../src/db/pool.ts'
import { pruneTraffic, subscriptionTraffic, trafficSeries, TRAFFIC_KEEP_MS } from '../../src/store/traffic.ts'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { latencyQuantile } from '../../src/traffic/latency.ts'
import { TrafficRollup } from '../../src/traffic/rollup.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('traffic')
t.teardown(() => env.close())
const relay = await env.start('all')
const { db } = relay.services
const log = pino({ level: 'silent' })

let recovered = false
const sub = await startSubscriber((req) => (req.path === '/down' && !recovered ? { status: 503, body: 'unavailable' } : {}))
t.teardown(() => sub.close())

const source = (await relay.api('/api/v1/sources', { body: { name: 'Traffic', slug: 'traffic' } })).body
const subscribe = async (path: string) => (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}${path}` } } })).body.id as string
const ok = await subscribe('/ok')
const down = await subscribe('/down')
const statuses = async () => (await env.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM deliveries GROUP BY status')).map((r) => `${r.status}:${r.n}`).sort()
const of = async (id: string, stepMs = 60_000) => (await subscriptionTraffic(db, { sinceMs: Math.floor((Date.now() - 3_600_000) / 900_000) * 900_000, stepMs })).find((r) => r.subscription_id === id)

const EVENTS = 4
const ATTEMPTS = 3 // the test env's schedule: 200ms, 400ms

t.test('events and attempts are counted per minute; health follows the latest outcome', async (t) => {
  for (let i = 0; i < EVENTS; i++) {
    const res = await fetch(`${relay.url}/in/traffic`, { method: 'POST', body: `{"n":${i}}`, headers: { 'content-type': 'application/json' } })
    t.equal(res.status, 202)
  }
  await eventually(async () => (await statuses()).join() === `dead:${EVENTS},succeeded:${EVENTS}`, 'every delivery settled', 20_000)
  await relay.traffic.flush()

  const series = await trafficSeries(db, { sinceMs: Date.now() - 10 * 60_000, stepMs: 60_000 })
  t.ok(series.length >= 10 && series.length <= 11, 'one point per minute, empty minutes included')
  const sum = (k: 'events' | 'succeeded' | 'failed') => series.reduce((a, p) => a + p[k], 0)
  t.equal(sum('events'), EVENTS)
  t.equal(sum('succeeded'), EVENTS)
  t.equal(sum('failed'), EVENTS * ATTEMPTS)

  const good = (await of(ok))!
  t.match(good, { succeeded: EVENTS, failed: 0, dead: 0, consecutive_failures: 0, last_failure_at: null, last_error: null })
  t.equal(good.latency.reduce((a, b) => a + b, 0), EVENTS, 'one latency sample per attempt')
  t.ok(latencyQuantile(good.latency, 0.95)! < 1000, 'a local receiver answers in well under a second')
  t.ok(good.last_success_at! > Date.now() - 60_000)

  const bad = (await of(down))!
  t.match(bad, { succeeded: 0, failed: EVENTS * ATTEMPTS, dead: EVENTS, consecutive_failures: EVENTS * ATTEMPTS, last_success_at: null })
  t.match(bad.last_error, /503/)

  // The receiver recovers; one dead delivery is replayed and succeeds: the streak ends.
  recovered = true
  const [dead] = await env.query<{ id: string }>(`SELECT id FROM deliveries WHERE subscription_id = $1 AND status = 'dead' LIMIT 1`, [down])
  t.equal((await relay.api(`/api/v1/deliveries/${dead!.id}/retry`, { method: 'POST' })).status, 202)
  await eventually(async () => (await statuses()).includes(`succeeded:${EVENTS + 1}`), 'the replay succeeded')
  await relay.traffic.flush()
  const after = (await of(down))!
  t.match(after, { succeeded: 1, consecutive_failures: 0 })
  t.match(await of(down, 900_000), { succeeded: 1, failed: EVENTS * ATTEMPTS, dead: EVENTS }, 'the 15-minute span holds the same counts')
  const day = await trafficSeries(db, { sinceMs: Date.now() - 86_400_000, stepMs: 900_000 })
  t.ok(day.length >= 96 && day.length <= 97, 'a day in 15-minute steps')
  t.equal(day.reduce((a, p) => a + p.events, 0), EVENTS)
  t.equal(day.reduce((a, p) => a + p.failed, 0), EVENTS * ATTEMPTS)
  t.match(after.last_error, /503/, 'the last error is still shown, with its time')
  t.ok(after.last_success_at! > after.last_failure_at!)
})

t.test('two processes adding to the same minute add up, none lost', async (t) => {
  const a = new TrafficRollup({ db, log })
  const b = new TrafficRollup({ db, log })
  const at = Date.now() - 3 * 60_000
  const before = (await of(ok))!.succeeded
  const rounds = 20
  for (let r = 0; r < rounds; r++) {
    for (const x of [a, b]) {
      x.event(source.id, at)
      x.attempt({ subscriptionId: ok, result: 'succeeded', at, durationMs: 5, error: null })
      x.attempt({ subscriptionId: down, result: 'succeeded', at, durationMs: 5, error: null })
    }
    await Promise.all([a.flush(), b.flush()])
  }
  t.equal((await of(ok))!.succeeded, before + 2 * rounds)
  const [row] = await env.query<{ events: string }>(`SELECT events FROM traffic_events WHERE span = 1 AND source_id = $1 AND minute = to_timestamp($2 / 1000.0)`, [source.id, at - (at % 60_000)])
  t.equal(Number(row!.events), 2 * rounds)
})

t.test('a flush that fails keeps its counts for the next one, and writes them once', async (t) => {
  let fail = true
  const flaky = new Proxy(db, {
    get: (target, key) => (key === 'transaction' && fail ? () => Promise.reject(new Error('connection lost')) : Reflect.get(target, key)),
  }) as Db
  const r = new TrafficRollup({ db: flaky, log })
  const at = Date.now() - 5 * 60_000
  const before = (await of(ok))!
  r.attempt({ subscriptionId: ok, result: 'failed', at, durationMs: 40, error: 'HTTP 500' })
  await r.flush()
  t.equal((await of(ok))!.failed, before.failed, 'nothing written while the database is away')
  r.attempt({ subscriptionId: ok, result: 'failed', at: at + 1, durationMs: 40, error: 'HTTP 502' })
  fail = false
  await r.flush()
  const now = (await of(ok))!
  t.equal(now.failed, before.failed + 2, 'both counts, once')
  t.equal(now.consecutive_failures, before.consecutive_failures + 2)
  t.equal(now.last_error, 'HTTP 502', 'the newer failure')
  await r.flush()
  t.equal((await of(ok))!.failed, before.failed + 2, 'an empty flush writes nothing')
})

t.test('a deleted subscription leaves the health table, its counts stay in the totals', async (t) => {
  const gone = await subscribe('/ok')
  const r = new TrafficRollup({ db, log })
  r.attempt({ subscriptionId: gone, result: 'succeeded', at: Date.now(), durationMs: 3, error: null })
  await r.flush()
  t.ok(await of(gone))
  t.equal((await relay.api(`/api/v1/subscriptions/${gone}`, { method: 'DELETE' })).status, 204)
  t.equal((await env.query('SELECT 1 FROM subscription_health WHERE subscription_id = $1', [gone])).length, 0)
  r.attempt({ subscriptionId: gone, result: 'failed', at: Date.now(), durationMs: 3, error: 'late' })
  await r.flush()
  t.equal((await env.query('SELECT 1 FROM subscription_health WHERE subscription_id = $1', [gone])).length, 0, 'a late count does not bring it back')
})

t.test('counts older than two days are pruned', async (t) => {
  const old = Date.now() - TRAFFIC_KEEP_MS - 120_000
  const r = new TrafficRollup({ db, log })
  r.event(source.id, old)
  r.attempt({ subscriptionId: ok, result: 'succeeded', at: old, durationMs: 1, error: null })
  await r.flush()
  const count = async () => Number((await env.query<{ n: string }>(`SELECT (SELECT count(*) FROM traffic_events WHERE minute < now() - interval '2 days') + (SELECT count(*) FROM traffic_attempts WHERE minute < now() - interval '2 days') AS n`))[0]!.n)
  t.equal(await count(), 4, 'a row of each span in each table')
  t.equal(await pruneTraffic(db), 4)
  t.equal(await count(), 0)
  t.ok((await of(ok))!.succeeded > 0, 'recent counts stay')
})
