// The circuit breaker end to end: an api and two worker processes on real PostgreSQL and
// Redis, a receiver that fails on demand. A failing destination is opened after its
// threshold: its deliveries wait instead of spending attempts (a probe at a doubling
// interval is all the receiver sees), nothing is dead-lettered, and when it recovers the
// probe closes the circuit and every waiting delivery arrives. One failing too long is
// disabled with the reason, its work paused. Each change is an event of the system
// source, which a subscription can act on, and which nobody can post to. A subscription
// can turn the breaker off.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { eventually, listeningAddress } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const BIN = fileURLToPath(new URL('../../src/bin/relay.ts', import.meta.url))
const env = await createCoreTestEnv('circuit', {
  RELAY_CIRCUIT_FAILURES: '5',
  RELAY_CIRCUIT_PROBE_SECONDS: '1',
  RELAY_CIRCUIT_INTERVAL_MS: '200',
  // Ten retries 2 s apart: without the breaker, 20 failing deliveries would hit the
  // receiver ten times a second for 20 s. (The streak reaches the breaker through the
  // traffic rollup, every 5 s: a schedule much faster than that would spend its budget
  // before the breaker saw it; the default's first retry is 5 s.)
  RELAY_RETRY_SCHEDULE: Array.from({ length: 10 }, () => '2s').join(','),
})
t.teardown(() => env.close())

/** A receiver whose paths fail (500) until told otherwise; it logs every request. */
const failing = new Set<string>()
const hits: { path: string; at: number; body: string }[] = []
const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const path = req.url ?? '/'
    hits.push({ path, at: Date.now(), body: Buffer.concat(chunks).toString() })
    res.statusCode = failing.has(path) ? 500 : 200
    res.end(failing.has(path) ? 'down' : 'ok')
  })
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
t.teardown(() => server.close())
const receiver = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const to = (path: string) => hits.filter((h) => h.path === path)

const api = await env.start('api')
const source = (await api.api('/api/v1/sources', { body: { name: 'cb', slug: 'cb' } })).body
const subscribe = async (sourceId: string, path: string, circuitBreaker?: unknown) => {
  const r = await api.api('/api/v1/subscriptions', { body: { sourceId, action: 'http-relay', config: { url: `${receiver}${path}` }, ...(circuitBreaker === undefined ? {} : { circuitBreaker }) } })
  if (r.status !== 201) throw new Error(JSON.stringify(r.body))
  return r.body as { id: string }
}
const send = async (n: number, from = 0) => {
  for (let i = from; i < from + n; i++) {
    const r = await fetch(`${api.url}/in/cb`, { method: 'POST', body: JSON.stringify({ n: i }), headers: { 'content-type': 'application/json' } })
    if (r.status !== 202) throw new Error(`ingest answered ${r.status}`)
  }
}
const subscription = async (id: string) => (await api.api(`/api/v1/subscriptions/${id}`)).body
const count = async (sql: string, args: unknown[]) => (await env.query<{ n: number }>(sql, args))[0]!.n

function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...env.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => void child.kill('SIGTERM'))
  child.stderr!.resume()
  return child
}

await Promise.all([listeningAddress(spawnWorker()), listeningAddress(spawnWorker())])
const down = await subscribe(source.id, '/down')

t.test('settings are checked when saved; the defaults apply where none are set', async (t) => {
  const s = await subscribe(source.id, '/settings', { failures: 3 })
  const view = await subscription(s.id)
  t.same(view.circuitBreaker, { failures: 3 })
  t.same(view.effectiveCircuitBreaker, { enabled: true, failures: 3, probeAfterSeconds: 1, disableAfterHours: 120 }, 'the rest from RELAY_CIRCUIT_*')
  t.same(view.circuit, { state: 'closed' })
  for (const bad of [{ failures: 0 }, { failures: 2.5 }, { probeAfterSeconds: 0 }, { disableAfterHours: -1 }, { after: 3 }]) {
    t.equal((await api.api(`/api/v1/subscriptions/${s.id}`, { method: 'PATCH', body: { circuitBreaker: bad } })).status, 400, `refused: ${JSON.stringify(bad)}`)
  }
  await api.api(`/api/v1/subscriptions/${s.id}`, { method: 'DELETE' })
})


t.test('a failing destination is opened: its deliveries wait, probes test it, its recovery sends them all', async (t) => {
  failing.add('/down')
  const N = 20
  await send(N)
  await eventually(async () => (await subscription(down.id)).circuit.state !== 'closed', 'the circuit to open', 20_000)
  const opened = (await subscription(down.id)).circuit
  t.match(opened, { state: /^(open|probing)$/, opens: 1 })
  t.comment(`opened after ${to('/down').length} requests`)

  // While it is open, the receiver sees probes only, one at a time, at a doubling interval.
  await new Promise((r) => setTimeout(r, 1_000))
  const before = to('/down').length
  await new Promise((r) => setTimeout(r, 5_000))
  const during = to('/down').length - before
  t.comment(`${during} requests in 5 s while open (without the breaker: one every 2 s for each of ${N} deliveries)`)
  t.ok(during <= 4, `probes only: ${during} in 5 s`)
  t.ok((await subscription(down.id)).circuit.opens >= 2, 'failed probes opened it again, for longer')
  t.equal(await count(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND status = 'dead'`, [down.id]), 0, 'nothing dead-lettered while it waits')
  t.ok(await count('SELECT max(attempt_count)::int AS n FROM deliveries WHERE subscription_id = $1', [down.id]) < 11, 'no delivery spent its retry budget')

  // The relay's events: the system source exists now; subscribe to it, as one would with Opsgenie or PagerDuty.
  const sources = (await api.api('/api/v1/sources')).body.items as { id: string; slug: string; system: boolean; ingestUrl: string | null }[]
  const system = sources.find((s) => s.system)
  t.match(system, { slug: 'relay-events', ingestUrl: null }, 'the system source was made by the first event')
  await subscribe(system!.id, '/system')
  const forged = await fetch(`${api.url}/in/relay-events`, { method: 'POST', body: '{"type":"circuit.opened"}', headers: { 'content-type': 'application/json' } })
  t.equal(forged.status, 404, 'nobody can post a system event')
  const [openedEvent] = await env.query<{ body: Buffer }>(`SELECT body FROM events WHERE source_id = $1 ORDER BY id LIMIT 1`, [system!.id])
  t.match(JSON.parse(openedEvent!.body.toString()), { type: 'circuit.opened', data: { subscriptionId: down.id, consecutiveFailures: Number } })

  failing.delete('/down')
  await eventually(() => new Set(to('/down').filter((h) => h.body.startsWith('{')).map((h) => JSON.parse(h.body).n)).size === N, 'every waiting delivery to arrive once the probe succeeds', 30_000)
  await eventually(async () => (await subscription(down.id)).circuit.state === 'closed', 'the circuit to close')
  await eventually(async () => (await count(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND status <> 'succeeded'`, [down.id])) === 0, 'all to be recorded')
  await eventually(() => to('/system').some((h) => JSON.parse(h.body).type === 'circuit.closed'), 'the closed event to reach the subscription on the system source', 15_000)
  t.match(JSON.parse(to('/system').find((h) => JSON.parse(h.body).type === 'circuit.closed')!.body), { type: 'circuit.closed', data: { subscriptionId: down.id, reason: 'the probe succeeded' } })
})

t.test('failing longer than disableAfterHours: disabled with the reason, its work paused, an event emitted', async (t) => {
  const gone = await subscribe(source.id, '/gone', { failures: 3, disableAfterHours: 0.001 })
  failing.add('/gone')
  await send(5, 100)
  await eventually(async () => !(await subscription(gone.id)).enabled, 'the subscription to be disabled', 30_000)
  const view = await subscription(gone.id)
  t.match(view.disabledReason, /^circuit breaker: failing since \d{4}-\d\d-\d\dT.*: HTTP 500/, 'the reason says since when and why')
  t.same(view.circuit, { state: 'closed' }, 'enabled again, it starts closed')
  t.ok(await count(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND status = 'paused'`, [gone.id]) > 0, 'its waiting work is paused, kept')
  await eventually(() => to('/system').some((h) => JSON.parse(h.body).type === 'subscription.disabled'), 'the disabled event', 15_000)
  t.match(JSON.parse(to('/system').find((h) => JSON.parse(h.body).type === 'subscription.disabled')!.body).data, { subscriptionId: gone.id })

  failing.delete('/gone')
  await api.api(`/api/v1/subscriptions/${gone.id}`, { method: 'PATCH', body: { enabled: true } })
  await eventually(async () => (await count(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND status <> 'succeeded'`, [gone.id])) === 0, 'enabled again, everything to be delivered', 20_000)
})

t.test('turned off for a subscription: failures keep to their retry schedule, nothing held', async (t) => {
  const off = await subscribe(source.id, '/off', { enabled: false })
  failing.add('/off')
  await send(3, 200)
  // Six rounds of three failures: far past the threshold of 5 and the rollup's 5 s.
  await eventually(() => to('/off').length >= 18, 'six rounds of attempts', 30_000)
  t.same((await subscription(off.id)).circuit, { state: 'closed' }, 'never opened')
  t.equal(await count(`SELECT count(*)::int AS n FROM deliveries WHERE subscription_id = $1 AND next_attempt_at > now() + interval '1 minute'`, [off.id]), 0, 'nothing held')
})
