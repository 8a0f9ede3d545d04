/**
 * `npm run bench`: the relay's ingest and delivery numbers on this machine.
 *
 * Starts, each as its own process: a subscriber, the relay as `api` + `worker`, a load
 * generator per scenario, and the naive reference handler. Everything talks over
 * loopback to the local PostgreSQL and Redis, in a database and key prefix of its own
 * that are removed at the end. Prints a table and writes bench-results/<time>.json.
 *
 *   BENCH_SECONDS=10  length of each measured run
 *   BENCH_CONNECTIONS=64  closed-loop connections in the max-throughput runs
 *   BENCH_ONLY=filters    only the event-filter comparison (delivered/s without and with
 *                         a filter that accepts every event: the cost of the filter stage)
 *   BENCH_ONLY=ratelimit  only the rate-limit comparison (delivered/s without and with a
 *                         limit that never binds, 10,000/s: the cost of asking the bucket)
 *   BENCH_ONLY=e2e        only the plain source's max-rate burst and drain, three times:
 *                         delivered/s, to compare two builds run one after the other
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { migrate } from '../src/db/migrate.ts'
import { adminApi, dropRelayState, firstLine, freePort, waitReady } from '../src/testing/relay-process.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const COMPARE_RUNS = 3
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64)
const PG_HOST = process.env.BENCH_DATABASE_HOST ?? 'postgres://postgres@127.0.0.1:5432'
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url))
const RELAY_BIN = here('../src/bin/relay.ts')

const id = randomBytes(4).toString('hex')
const dbName = `relay_bench_${id}`
const databaseUrl = `${PG_HOST}/${dbName}`
const prefix = `bench:${id}:`
const token = randomBytes(24).toString('base64url')
const children: ChildProcess[] = []

function start(file: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return child
}

interface LoadResult { sent: number; ok: number; errors: number; statuses: Record<string, number>; seconds: number; rps: number; p50: number; p95: number; p99: number; max: number }
async function load(url: string, mode: 'max' | 'rate', rate: number, seconds: number, connections = CONNECTIONS): Promise<LoadResult> {
  const child = start(here('./loadgen.ts'), [url, mode, String(rate), String(seconds), String(connections)])
  return JSON.parse(await firstLine(child)) as LoadResult
}

interface SubStats { received: number; distinct: number; duplicates: number; first: number; last: number; p50: number; p95: number; p99: number; max: number }
const subStats = async (subUrl: string) => (await (await fetch(`${subUrl}/stats`)).json()) as SubStats

async function drained(subUrl: string, expected: number, timeoutMs = 120_000): Promise<SubStats> {
  const deadline = Date.now() + timeoutMs
  let s = await subStats(subUrl)
  while (s.distinct < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250))
    s = await subStats(subUrl)
  }
  return s
}

async function main() {
  console.log(`webhook-relay bench: ${SECONDS}s per run, ${CONNECTIONS} connections for max runs, database ${dbName}`)
  await migrate(databaseUrl)

  const sub = start(here('./subscriber.ts'), ['0'])
  const subUrl = `http://127.0.0.1:${(JSON.parse(await firstLine(sub)) as { port: number }).port}`
  const apiPort = await freePort()
  const relayEnv = {
    NODE_ENV: 'production',
    // The core alone, with the one action the benchmark delivers through.
    RELAY_PLUGINS: '@webhook-relay/plugin-http-relay',
    // Several relays on one machine: each /metrics listener takes a free port.
    RELAY_METRICS_PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    RELAY_REDIS_PREFIX: prefix,
    RELAY_ADMIN_TOKEN: token,
    RELAY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    RELAY_EGRESS_ALLOW: '127.0.0.0/8',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('RELAY_') && k !== 'RELAY_ROLE')) as Record<string, string>,
  }
  start(RELAY_BIN, ['api'], { ...relayEnv, PORT: String(apiPort) })
  start(RELAY_BIN, ['worker'], { ...relayEnv, PORT: String(await freePort()) })
  const base = `http://127.0.0.1:${apiPort}`
  await waitReady(base)

  const api = adminApi(base, token)
  const rec = await api('POST', '/sources', { name: 'bench record', slug: 'rec', mode: 'record' })
  const act = await api('POST', '/sources', { name: 'bench active', slug: 'act', mode: 'active' })
  await api('POST', '/subscriptions', { sourceId: act.id, action: 'http-relay', config: { url: `${subUrl}/hook` } })
  // The same, behind a filter every event passes (loadgen's bodies carry `t`): what the
  // second fan-out statement and the filter run cost per event.
  const flt = await api('POST', '/sources', { name: 'bench filtered', slug: 'flt', mode: 'active' })
  await api('POST', '/subscriptions', {
    sourceId: flt.id, action: 'http-relay', config: { url: `${subUrl}/hook` },
    filter: { all: [{ header: 'content-type', prefix: 'application/json' }, { path: '$.t', exists: true }, { not: { path: '$.bot', equals: true } }] },
  })

  // The same, under a rate limit it never reaches: what asking the shared bucket costs.
  const lim = await api('POST', '/sources', { name: 'bench limited', slug: 'lim', mode: 'active' })
  await api('POST', '/subscriptions', { sourceId: lim.id, action: 'http-relay', config: { url: `${subUrl}/hook` }, rateLimit: { perSecond: 10_000, burst: 10_000 } })

  const naive = start(here('./naive-handler.ts'), [databaseUrl, REDIS_URL, prefix, rec.id, String(await freePort())])
  const naiveUrl = (JSON.parse(await firstLine(naive)) as { address: string }).address

  const results: Record<string, unknown> = {}
  const row = (name: string, r: LoadResult) => {
    results[name] = r
    console.log(`${name.padEnd(34)} ${String(r.rps).padStart(7)} req/s   p50 ${r.p50} ms  p95 ${r.p95} ms  p99 ${r.p99} ms  (ok ${r.ok}, errors ${r.errors}, statuses ${JSON.stringify(r.statuses)})`)
  }

  /** A max-rate burst into a source, then its drain: delivered per second. */
  const e2eMax = async (slug: string) => {
    await fetch(`${subUrl}/stats/reset`, { method: 'POST' })
    const burst = await load(`${base}/in/${slug}`, 'max', 0, SECONDS)
    const s = await drained(subUrl, burst.ok)
    return { burst, s, deliveredPerSec: Math.round(s.distinct / ((s.last - s.first) / 1000)) }
  }
  /** One feature off and on, alternating runs so machine noise hits both alike; the better of each. */
  const compare = async (feature: string, onSlug: string) => {
    console.log(`\n== ${feature}: delivered/s without and with (runs alternate; the better of ${COMPARE_RUNS} each)`)
    await load(`${base}/in/act`, 'max', 0, 3)
    const off: number[] = []
    const on: number[] = []
    for (let i = 0; i < COMPARE_RUNS; i++) {
      off.push((await e2eMax('act')).deliveredPerSec)
      on.push((await e2eMax(onSlug)).deliveredPerSec)
    }
    const [a, b] = [Math.max(...off), Math.max(...on)]
    console.log(`without        ${String(a).padStart(7)} delivered/s   (runs ${off.join(', ')})`)
    console.log(`with           ${String(b).padStart(7)} delivered/s   (runs ${on.join(', ')})`)
    console.log(`with / without ${(b / a).toFixed(2)}x   load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  }
  if (process.env.BENCH_ONLY === 'filters') return compare('event filter', 'flt')
  if (process.env.BENCH_ONLY === 'ratelimit') return compare('rate limit that never binds', 'lim')
  if (process.env.BENCH_ONLY === 'e2e') {
    await load(`${base}/in/act`, 'max', 0, 3)
    const runs: number[] = []
    for (let i = 0; i < COMPARE_RUNS; i++) runs.push((await e2eMax('act')).deliveredPerSec)
    console.log(`delivered/s ${Math.max(...runs)}   (runs ${runs.join(', ')})   load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
    return
  }

  console.log('\nwarm-up (3 s each)…')
  await load(`${base}/in/rec`, 'max', 0, 3)
  await load(`${naiveUrl}/in/rec`, 'max', 0, 3)

  console.log('\n== ingest, record-mode source (no fan-out)')
  // Alternate relay and naive twice so machine noise hits both alike; keep the better run of each.
  const relayRuns = [] as LoadResult[]
  const naiveRuns = [] as LoadResult[]
  for (let i = 0; i < 2; i++) {
    relayRuns.push(await load(`${base}/in/rec`, 'max', 0, SECONDS))
    naiveRuns.push(await load(`${naiveUrl}/in/rec`, 'max', 0, SECONDS))
  }
  const best = (rs: LoadResult[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a))
  row('relay ingest, max', best(relayRuns))
  row('naive INSERT+XADD handler, max', best(naiveRuns))
  const ratio = best(relayRuns).rps / best(naiveRuns).rps
  results.ratio = Number(ratio.toFixed(2))
  console.log(`relay / naive ingest ratio           ${ratio.toFixed(2)}x`)
  row('relay ingest at 2,000/s (open model)', await load(`${base}/in/rec`, 'rate', 2000, SECONDS))

  console.log('\n== active source, one http-relay subscription (end to end)')
  for (const rate of [3000]) {
    await fetch(`${subUrl}/stats/reset`, { method: 'POST' })
    const r = await load(`${base}/in/act`, 'rate', rate, SECONDS)
    row(`ingest at ${rate}/s`, r)
    const s = await drained(subUrl, r.ok)
    const deliveredPerSec = Math.round(s.distinct / ((s.last - s.first) / 1000))
    results[`e2e_${rate}`] = { ...s, deliveredPerSec }
    console.log(`delivered                          ${String(deliveredPerSec).padStart(7)} /s    ingest→delivery p50 ${s.p50} ms  p95 ${s.p95} ms  p99 ${s.p99} ms  (${s.distinct}/${r.ok} delivered, ${s.duplicates} duplicates)`)
  }
  await fetch(`${subUrl}/stats/reset`, { method: 'POST' })
  const burst = await load(`${base}/in/act`, 'max', 0, SECONDS)
  row('ingest into active source, max', burst)
  const s = await drained(subUrl, burst.ok)
  const deliveredPerSec = Math.round(s.distinct / ((s.last - s.first) / 1000))
  results.e2e_max = { ...s, deliveredPerSec }
  console.log(`delivered (drain of the max run)   ${String(deliveredPerSec).padStart(7)} /s    ingest→delivery p50 ${s.p50} ms  p99 ${s.p99} ms  (${s.distinct}/${burst.ok} delivered, ${s.duplicates} duplicates)`)

  mkdirSync('bench-results', { recursive: true })
  const file = `bench-results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  writeFileSync(file, JSON.stringify({ seconds: SECONDS, connections: CONNECTIONS, results }, null, 2))
  console.log(`\nresults written to ${file}`)
}

async function cleanup() {
  for (const c of children) c.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 1500))
  for (const c of children) c.kill('SIGKILL')
  await dropRelayState({ pgHost: PG_HOST, database: dbName, redisUrl: REDIS_URL, redisPrefix: prefix })
}

try {
  await main()
} finally {
  await cleanup()
}
