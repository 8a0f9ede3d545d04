// Crash safety as an operator sees it: kill -9 the worker mid-load, lose Redis's data,
// stop with SIGTERM while deliveries are in flight. Every accepted event still reaches
// its subscriber at least once.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const BIN = fileURLToPath(new URL('../../src/bin/relay.ts', import.meta.url))

function spawnRelay(role: string, env: Record<string, string>): ChildProcess & { exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, role], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (c) => (stderr += c))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  exited.then((code) => code !== 0 && code !== null && console.error(stderr))
  return Object.assign(child, { exited })
}

async function setup(name: string, extra: Record<string, string> = {}, delayMs = 0) {
  const env = await createCoreTestEnv(name, extra)
  const sub = await startSubscriber(() => ({ delayMs }))
  const api = await env.start('api')
  const source = (await api.api('/api/v1/sources', { body: { name, slug: name } })).body
  await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/a` } } })
  await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/b` } } })
  const send = async (n: number) => {
    const ids: string[] = []
    for (let i = 0; i < n; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, n - i) }, (_, j) =>
          fetch(`${api.url}/in/${name}`, { method: 'POST', body: JSON.stringify({ i: i + j }), headers: { 'content-type': 'application/json' } }).then(async (r) => {
            if (r.status !== 202) throw new Error(`ingest answered ${r.status}`)
            return ((await r.json()) as { eventId: string }).eventId
          }),
        ),
      )
      ids.push(...batch)
    }
    return ids
  }
  /** Distinct bodies each path received: "every event at least once". */
  const distinct = (path: string) => new Set(sub.to(path).map((r) => r.body.toString())).size
  return { env, sub, api, send, distinct, async close() { await sub.close(); await env.close() } }
}

t.test('kill -9 the worker in the middle of a load: after a restart every event arrives', async (t) => {
  const s = await setup('kill9', {}, 20)
  t.teardown(() => s.close())
  const first = spawnRelay('worker', s.env.env)
  await s.send(300)
  await eventually(() => s.sub.requests.length >= 40, 'some deliveries before the kill', 20_000)
  first.kill('SIGKILL')
  await first.exited
  const deliveredBeforeKill = s.sub.requests.length
  t.ok(deliveredBeforeKill < 600, `killed with ${600 - deliveredBeforeKill} deliveries still to go`)
  const second = spawnRelay('worker', s.env.env)
  t.teardown(() => second.kill('SIGKILL'))
  await eventually(() => s.distinct('/a') === 300 && s.distinct('/b') === 300, 'all 300 events at both subscribers', 60_000, 200)
  const rows = await s.env.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM deliveries GROUP BY status')
  await eventually(async () => {
    const r = await s.env.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM deliveries GROUP BY status')
    return r.length === 1 && r[0]!.status === 'succeeded' && r[0]!.n === 600
  }, 'every delivery row to be succeeded', 30_000, 200)
  t.pass(`duplicates delivered: ${s.sub.requests.length - 600} (at-least-once); statuses before settling: ${JSON.stringify(rows)}`)
})

t.test('Redis loses everything (flush): the reconciler re-enqueues, every event arrives', async (t) => {
  const s = await setup('flush', { RELAY_RETRY_SCHEDULE: '3s' })
  t.teardown(() => s.close())
  // Accepted while no worker runs: the work sits in Redis only as stream entries.
  await s.send(100)
  const redis = s.env.redis()
  const wipe = async () => {
    const keys = await redis.keys(`${s.env.redisPrefix}*`)
    if (keys.length) await redis.del(...keys)
    return keys.length
  }
  t.ok((await wipe()) > 0, 'the relay keys were wiped (as FLUSHALL would)')
  const worker = await s.env.start('worker')
  await eventually(() => s.distinct('/a') === 100 && s.distinct('/b') === 100, 'all 100 events after the wipe', 30_000)
  t.pass('delivered after the flush')

  // Now with deliveries waiting in the retry set: wipe again while they wait.
  await worker.stop()
  const flaky = await startSubscriber((_req, nth) => (nth === 1 ? { status: 503 } : {}))
  t.teardown(() => flaky.close())
  const src = (await s.api.api('/api/v1/sources', { body: { name: 'flush2', slug: 'flush2' } })).body
  await s.api.api('/api/v1/subscriptions', { body: { sourceId: src.id, action: 'http-relay', config: { url: `${flaky.url}/r` } } })
  const w2 = await s.env.start('worker')
  await fetch(`${s.api.url}/in/flush2`, { method: 'POST', body: '{"retry":"me"}', headers: { 'content-type': 'application/json' } })
  await eventually(async () => (await s.env.query("SELECT 1 FROM deliveries WHERE status = 'retrying'")).length === 1, 'a delivery waiting to retry')
  await wipe()
  await w2.worker!.reconcile()
  await eventually(() => flaky.to('/r').length === 2, 'the retry to happen after the wipe', 15_000)
  t.pass('the retry survived the wipe')
})

t.test('SIGTERM: in-flight deliveries finish, are recorded, and the process exits 0', async (t) => {
  const s = await setup('sigterm', {}, 1500)
  t.teardown(() => s.close())
  const worker = spawnRelay('worker', s.env.env)
  await s.send(5)
  await eventually(() => s.sub.requests.length >= 1, 'deliveries in flight', 20_000)
  worker.kill('SIGTERM')
  const code = await worker.exited
  t.equal(code, 0, 'exit code 0')
  const rows = await s.env.query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM deliveries WHERE status = 'succeeded' GROUP BY status")
  t.ok((rows[0]?.n ?? 0) >= 1, `in-flight deliveries were recorded as succeeded before exit (${rows[0]?.n ?? 0})`)
  const stuck = await s.env.query("SELECT 1 FROM deliveries WHERE status = 'delivering'")
  t.equal(stuck.length, 0, 'nothing left claimed by the stopped worker')
  // What was not started is picked up by the next worker.
  const next = spawnRelay('worker', s.env.env)
  t.teardown(() => next.kill('SIGKILL'))
  await eventually(() => s.distinct('/a') === 5 && s.distinct('/b') === 5, 'the rest after restart', 30_000)
})
