// Every PromQL expression the dashboards and alerts use (grafana/generated/queries.json),
// evaluated by a real Prometheus (Debian's package; scripts/ensure-prometheus.sh) that
// scrapes a running relay every second after it has handled successes, retries, dead
// letters and rejections. Fails on an expression Prometheus rejects, and on one that
// returns nothing although its `expectData` says a relay with this traffic has data.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { requireTool } from '../../src/testing/external-tool.ts'
import { createCoreTestEnv } from '../env.ts'

interface Query { id: string; where: string; resolved: string; expectData: 'traffic' | 'failures' | 'dead' | 'rejections' | 'never' }
interface PromAnswer { status: 'success' | 'error'; error?: string; data?: { result: unknown[] } }

const QUERIES = JSON.parse(await readFile(new URL('../../../grafana/generated/queries.json', import.meta.url), 'utf8')) as Query[]
const SCRAPE = '1s'
/** Job label the dashboards expect for an api or all-in-one process (grafana/src/config.ts). */
const JOB = 'webhook-relay-api'

const PROMETHEUS = requireTool({ name: 'prometheus', also: ['/usr/bin/prometheus'], install: 'scripts/ensure-prometheus.sh' })
const env = await createCoreTestEnv('prometheus')
t.teardown(() => env.close())
const relay = await env.start('all')
const sub = await startSubscriber((req, nth) => {
  if (req.path === '/flaky') return nth % 2 === 1 ? { status: 503 } : {}
  if (req.path === '/bad') return { status: 400 }
  if (req.path === '/down') return { status: 503 }
  return {}
})
t.teardown(() => sub.close())

// Prometheus on port 0 (the port it got is read from its log: no port is picked and
// then listened on), in a temp dir removed at the end.
const dir = await mkdtemp(join(tmpdir(), 'relay-prom-'))
await writeFile(join(dir, 'prometheus.yml'), `global:
  scrape_interval: ${SCRAPE}
  evaluation_interval: ${SCRAPE}
scrape_configs:
  - job_name: ${JOB}
    static_configs:
      - targets: ['${new URL(relay.metricsUrl).host}']
`)
const server: ChildProcess = spawn(PROMETHEUS, [
  `--config.file=${join(dir, 'prometheus.yml')}`,
  `--storage.tsdb.path=${join(dir, 'data')}`,
  '--web.listen-address=127.0.0.1:0',
  '--log.level=info',
], { stdio: ['ignore', 'ignore', 'pipe'] })
let stderr = ''
server.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
// Prometheus logs `msg="Listening on" address=127.0.0.1:PORT` once its listener is bound.
const listening = /msg="Listening on" address=(127\.0\.0\.1:\d+)/
const prom = `http://${await eventually(() => listening.exec(stderr)?.[1], 'Prometheus to log the address it listens on', 20_000, 50)}`
t.teardown(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r))
    server.kill('SIGTERM')
    await exited
  }
  await rm(dir, { recursive: true, force: true })
})

async function query(expr: string): Promise<PromAnswer> {
  const res = await fetch(`${prom}/api/v1/query?${new URLSearchParams({ query: expr })}`)
  return (await res.json()) as PromAnswer
}

t.test('Prometheus scrapes the relay', async (t) => {
  await eventually(async () => (await fetch(`${prom}/-/ready`)).ok, `Prometheus ready (stderr: ${stderr})`, 20_000, 200)
  const up = await eventually(async () => (await query(`up{job="${JOB}"} == 1`)).data?.result.length, 'the relay target up', 20_000, 250)
  t.equal(up, 1)
})

t.test('traffic: successes, retries, dead letters, rejections', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'Prom', slug: 'prom' } })).body
  for (const path of ['/ok', '/flaky', '/bad', '/down']) {
    const r = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}${path}` } } })
    t.equal(r.status, 201, `subscription ${path}`)
  }
  const post = (slug: string, body = '{"n":1}') => fetch(`${relay.url}/in/${slug}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  for (let i = 0; i < 20; i++) t.equal((await post('prom', `{"n":${i}}`)).status, 202)
  t.equal((await post('no-such-source')).status, 404, 'a rejection: unknown source')
  // Dead letters: /bad fails permanently at once, /down after the test schedule (200 ms, 400 ms).
  await eventually(async () => (await env.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'dead'`))[0]!.n >= 40, 'dead letters from /bad and /down', 20_000, 200)
})

t.test('every dashboard and alert expression is valid and has data where expected', async (t) => {
  t.ok(QUERIES.length > 0, 'queries.json lists expressions')
  // Let a few scrapes land after the traffic, so rate() windows hold two samples of each series.
  const missing = new Map<string, Query>()
  await eventually(async () => {
    missing.clear()
    for (const q of QUERIES) {
      const a = await query(q.resolved)
      if (a.status !== 'success') throw new Error(`${q.id} (${q.where}) is invalid: ${a.error}`)
      if (q.expectData !== 'never' && !a.data?.result.length) missing.set(q.id, q)
    }
    return missing.size === 0
  }, 'every expected expression to return data', 30_000, 1000).catch(() => {})
  for (const q of QUERIES) {
    const a = await query(q.resolved)
    t.equal(a.status, 'success', `${q.id} parses and evaluates`, { expr: q.resolved, error: a.error })
    if (q.expectData !== 'never') t.ok(a.data?.result.length, `${q.id} (${q.where}) returns data`, { expr: q.resolved, expectData: q.expectData })
  }
})

t.test('alert conditions: the ones this traffic causes fire, the others stay quiet', async (t) => {
  const firing = ['WebhookRelayDeliveryErrorRateHigh', 'WebhookRelayDeadLettersGrowing']
  // increase() needs the counter series seen before and after an increment: on a busy
  // machine every dead letter can land before the first scrape that sees the series, so
  // keep failing one webhook a second (as an outage would) until both alerts hold.
  await eventually(async () => {
    await fetch(`${relay.url}/in/prom`, { method: 'POST', body: '{"again":true}', headers: { 'content-type': 'application/json' } })
    for (const name of firing) {
      const q = QUERIES.find((x) => x.id === `alert/${name}`)
      if (q && !(await query(q.resolved)).data?.result.length) return false
    }
    return true
  }, 'the failure alerts to hold', 30_000, 1000).catch(() => {})
  for (const q of QUERIES.filter((q) => q.expectData === 'never')) {
    const name = q.id.replace(/^alert\//, '')
    const a = await query(q.resolved)
    // Regression: pg_up/redis_up were only set by /readyz, so a Prometheus-only setup read 0 and alerted.
    if (firing.includes(name)) t.ok(a.data?.result.length, `${name} fires after /bad and /down failed`)
    else t.same(a.data?.result, [], `${name} is quiet on a healthy relay`)
  }
})
