// Rate limits end to end: an api and three worker processes on real PostgreSQL and Redis,
// one source with a subscription limited to 5/s (burst 1) and an unlimited one beside it.
// 200 webhooks: the limited receiver never sees more than burst + 5 requests in any one
// second and gets all 200, each once, in about 40 s; no attempt is spent on waiting; the
// unlimited one is not held up; the throttled count reaches the metrics and the UI's
// rollup. A limit is checked when saved, and an action's default applies when a
// subscription sets none.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const BIN = fileURLToPath(new URL('../../src/bin/relay.ts', import.meta.url))
const PACED = fileURLToPath(new URL('../fixtures/plugins/paced.ts', import.meta.url))
const env = await createCoreTestEnv('rate_limit', { RELAY_PLUGINS: PACED })
t.teardown(() => env.close())
const sub = await startSubscriber()
t.teardown(() => sub.close())
const api = await env.start('api')

const source = (await api.api('/api/v1/sources', { body: { name: 'rl', slug: 'rl' } })).body
const subscribe = async (path: string, extra: Record<string, unknown> = {}) => {
  const r = await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}${path}` }, ...extra } })
  if (r.status !== 201) throw new Error(JSON.stringify(r.body))
  return r.body as { id: string; rateLimit: unknown; effectiveRateLimit: unknown }
}
const RATE = 5
const limited = await subscribe('/limited', { rateLimit: { perSecond: RATE } })
await subscribe('/fast')

t.test('a limit is checked when saved and shown with where it comes from', async (t) => {
  t.same(limited.rateLimit, { perSecond: RATE, burst: 1 }, 'the default burst is filled in')
  t.same(limited.effectiveRateLimit, { perSecond: RATE, burst: 1, from: 'subscription' })
  for (const bad of [{ perSecond: 0 }, { perSecond: 5, burst: 0 }, { perSecond: 5, burst: 1.5 }, { perSecond: 5, every: 2 }, { burst: 3 }]) {
    const r = await api.api(`/api/v1/subscriptions/${limited.id}`, { method: 'PATCH', body: { rateLimit: bad } })
    t.equal(r.status, 400, `refused: ${JSON.stringify(bad)}`)
  }
  t.same((await api.api(`/api/v1/subscriptions/${limited.id}`)).body.rateLimit, { perSecond: RATE, burst: 1 }, 'the stored limit is unchanged')
  const paced = (await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'paced', enabled: false, config: { url: `${sub.url}/x` } } })).body
  t.same(paced.rateLimit, null, 'a subscription of an action with a documented limit sets none of its own')
  t.same(paced.effectiveRateLimit, { perSecond: 4, burst: 3, from: 'action' }, "and runs under its action's")
  const own = (await api.api(`/api/v1/subscriptions/${paced.id}`, { method: 'PATCH', body: { rateLimit: { perSecond: 0.2, burst: 2 } } })).body
  t.same(own.effectiveRateLimit, { perSecond: 0.2, burst: 2, from: 'subscription' }, 'its own setting wins')
  const back = (await api.api(`/api/v1/subscriptions/${paced.id}`, { method: 'PATCH', body: { rateLimit: null } })).body
  t.same(back.effectiveRateLimit, { perSecond: 4, burst: 3, from: 'action' }, 'and null hands it back to the default')
  const plugins = (await api.api('/api/v1/plugins')).body.items as { name: string; rateLimit: unknown }[]
  t.same(plugins.find((p) => p.name === 'paced')?.rateLimit, { perSecond: 4, burst: 3 }, 'the plugin list shows the default')
  t.same(plugins.find((p) => p.name === 'http-relay')?.rateLimit, null, 'and none where the manifest names none')
  await api.api(`/api/v1/subscriptions/${paced.id}`, { method: 'DELETE' })
})

function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...env.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => void child.kill('SIGTERM'))
  child.stderr!.resume()
  return child
}

/** The worker's /metrics address, from the line it prints when ready. */
function metricsAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error('the worker did not say where its metrics are')), 30_000)
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const m = /metrics on (http:\/\/[\w.:[\]-]+)\/metrics/.exec(buf)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
        buf = ''
      }
    })
  })
}

/** The most requests that arrived within any `windowMs` (a window starting at each arrival). */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++
    best = Math.max(best, i - j + 1)
  }
  return best
}

t.test('three workers, 5/s, 200 deliveries: never more than burst + 5 in a second, all arrive, no attempt spent waiting', async (t) => {
  const workers = [spawnWorker(), spawnWorker(), spawnWorker()]
  const metricsUrls = await Promise.all(workers.map(metricsAddress))
  const N = 200
  const started = Date.now()
  const statuses: number[] = []
  for (let i = 0; i < N; i += 25) {
    statuses.push(...(await Promise.all(Array.from({ length: 25 }, async (_, j) => {
      const r = await fetch(`${api.url}/in/rl`, { method: 'POST', body: JSON.stringify({ n: i + j }), headers: { 'content-type': 'application/json' } })
      return r.status
    }))))
  }
  t.same(new Set(statuses), new Set([202]), `${N} accepted`)
  await eventually(() => sub.to('/fast').length === N, 'the unlimited subscription to get everything', 30_000)
  const fastDone = Date.now() - started
  t.ok(sub.to('/limited').length < N / 2, `the unlimited one is not held up by the limited one (all ${N} in ${fastDone} ms, the limited one at ${sub.to('/limited').length})`)

  await eventually(() => sub.to('/limited').length >= N, 'all 200 to reach the limited receiver', 90_000)
  const arrivals = sub.to('/limited').map((r) => r.at)
  const span = Math.max(...arrivals) - Math.min(...arrivals)
  await eventually(async () => (await env.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE status <> 'succeeded'`))[0]!.n === 0, 'every delivery to be recorded')
  const starts = (await env.query<{ ms: number }>(
    'SELECT extract(epoch FROM a.started_at) * 1000 AS ms FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = $1',
    [limited.id],
  )).map((r) => Number(r.ms))
  const startPeak = maxInWindow(starts, 1_000)
  const sortedStarts = [...starts].sort((x, y) => x - y)
  const gaps = sortedStarts.slice(1).map((x, i) => Math.round(x - sortedStarts[i]!))
  t.comment(`start gaps: ${gaps.filter((g) => g > 300).length} over 300 ms, longest ${gaps.sort((x, y) => y - x).slice(0, 8).join(', ')} ms`)
  const peak = maxInWindow(arrivals, 1_000)
  t.comment(`limited receiver: ${N} in ${span} ms (${((N - 1) / (span / 1000)).toFixed(2)}/s); at most ${startPeak} attempts started in any second, at most ${peak} arrived in any second`)
  t.ok(startPeak <= RATE + 1, `the guarantee: at most burst + rate (${RATE + 1}) attempts start in any one second: ${startPeak}`)
  // Between the start and the receiver lie the request's own few milliseconds, which vary
  // with the machine's load: two neighbours can arrive closer than they started.
  t.ok(peak <= RATE + 2, `the receiver sees at most one more, from that jitter: ${peak}`)
  t.ok(span >= ((N - 1 - 1) / RATE) * 1000 - 500, `paced: ${span} ms for ${N} at ${RATE}/s`)
  t.equal(new Set(sub.to('/limited').map((r) => (JSON.parse(r.body.toString()) as { n: number }).n)).size, N, 'each once')

  const [attempts] = await env.query<{ max: number; throttled: number }>(
    'SELECT max(attempt_count)::int AS max, count(*) FILTER (WHERE throttled_until IS NOT NULL)::int AS throttled FROM deliveries WHERE subscription_id = $1',
    [limited.id],
  )
  t.match(attempts, { max: 1, throttled: 0 }, 'one attempt each: waiting for a slot counted none, and no slot is left on a row')

  let counted = 0
  for (const url of metricsUrls) {
    const text = await (await fetch(`${url}/metrics`)).text()
    for (const m of text.matchAll(/^deliveries_throttled_total\{action="http-relay"\} (\d+)/gm)) counted += Number(m[1])
  }
  t.ok(counted >= N - RATE * (fastDone / 1000) - 10, `the workers counted the throttled deliveries (${counted})`)
  // The rollup is written every few seconds: the subscription page's "throttled in the last hour".
  await eventually(async () => (await env.query<{ n: number }>('SELECT coalesce(sum(throttled), 0)::int AS n FROM traffic_attempts WHERE span = 1 AND subscription_id = $1', [limited.id]))[0]!.n === counted, 'the rollup to hold the same count', 15_000)
})

t.test("an action's default limit and burst: three at once, then four a second", async (t) => {
  t.equal((await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'paced', config: { url: `${sub.url}/paced` } } })).status, 201)
  const before = { limited: sub.to('/limited').length }
  const N = 11
  for (let i = 0; i < N; i++) t.equal((await fetch(`${api.url}/in/rl`, { method: 'POST', body: JSON.stringify({ n: 1000 + i }), headers: { 'content-type': 'application/json' } })).status, 202)
  await eventually(() => sub.to('/paced').length === N, 'every paced delivery', 30_000)
  const at = sub.to('/paced').map((r) => r.at).sort((a, b) => a - b)
  t.comment(`paced: ${at.map((x) => x - at[0]!).join(', ')} ms`)
  t.ok(at[2]! - at[0]! < 400, `the burst of three starts at once (${at[2]! - at[0]!} ms)`)
  t.ok(at[N - 1]! - at[0]! >= ((N - 3) / 4) * 1000 - 300, `the other ${N - 3} follow at four a second (${at[N - 1]! - at[0]!} ms)`)
  t.ok(sub.to('/limited').length > before.limited, 'the 5/s subscription of the same source goes on beside it')
})
