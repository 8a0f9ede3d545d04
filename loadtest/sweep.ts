/**
 * `node loadtest/sweep.ts [tunable…] [--seconds 10] [--ingest-rate N] [--delivery-rate N]`:
 * measured sweeps of the relay's performance settings, one short run per value, each on
 * a fresh relay. Ingest settings are measured in record mode at a rate near the ingest
 * ceiling (throughput and latency); delivery settings with one subscription and an
 * ingest rate above what delivery keeps up with, so delivered/s is the delivery ceiling.
 * Writes loadtest/results/sweep-<time>/ and prints a table per tunable.
 *
 * Not swept because not configurable: the number of Redis connections (one client plus
 * one blocking reader per stream per process). Outgoing connections per receiver origin
 * are RELAY_EGRESS_CONNECTIONS.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { describe, runScenario, type RunSummary } from './src/run-scenario.ts'
import type { Scenario } from './src/scenarios.ts'
import { DEFAULT_SIZE_MIX } from './src/targets.ts'
import { requireVegeta } from './src/vegeta.ts'

interface Tunable { env: string; values: string[]; stage: 'ingest' | 'delivery' }
export const TUNABLES: Record<string, Tunable> = {
  pool: { env: 'RELAY_PG_POOL_SIZE', values: ['2', '10', '20'], stage: 'ingest' },
  'batch-max': { env: 'RELAY_INGEST_BATCH_MAX', values: ['16', '256', '1000'], stage: 'ingest' },
  'batch-wait': { env: 'RELAY_INGEST_BATCH_WAIT_MS', values: ['0', '1', '5'], stage: 'ingest' },
  'read-count': { env: 'RELAY_STREAM_READ_COUNT', values: ['16', '256', '1024'], stage: 'delivery' },
  concurrency: { env: 'RELAY_DELIVERY_CONCURRENCY', values: ['16', '128', '512'], stage: 'delivery' },
  'worker-pool': { env: 'RELAY_PG_POOL_SIZE', values: ['2', '10', '20'], stage: 'delivery' },
  'egress-connections': { env: 'RELAY_EGRESS_CONNECTIONS', values: ['16', '64', '256'], stage: 'delivery' },
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    'ingest-rate': { type: 'string', default: '1500' },
    'delivery-rate': { type: 'string', default: '800' },
    workers: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
})
const names = positionals.length ? positionals : Object.keys(TUNABLES)
for (const n of names) {
  if (!TUNABLES[n]) {
    console.error(`unknown tunable ${n}; choose from: ${Object.keys(TUNABLES).join(', ')}`)
    process.exit(2)
  }
}
const vegeta = requireVegeta()
const seconds = Number(values.seconds)
const out = values.out ?? join('loadtest', 'results', `sweep-${new Date().toISOString().replace(/[:.]/g, '-')}`)
mkdirSync(out, { recursive: true })

function scenarioFor(t: Tunable): Scenario {
  return t.stage === 'ingest'
    ? { name: 'sweep-ingest', description: 'record mode near the ingest ceiling', mode: 'record', endpoints: {}, size: DEFAULT_SIZE_MIX, steps: [{ rate: Number(values['ingest-rate']), seconds }], drainMs: 0 }
    : { name: 'sweep-delivery', description: 'one subscription, ingest above the delivery ceiling', mode: 'active', endpoints: { fast: {} }, size: DEFAULT_SIZE_MIX, steps: [{ rate: Number(values['delivery-rate']), seconds }], drainMs: 180_000 }
}

function row(t: Tunable, value: string, s: RunSummary): string {
  const i = s.ingest
  const e = s.endpoints.fast
  const rss = Object.values(s.rss).map((r) => r.peakMiB).join('/')
  return t.stage === 'ingest'
    ? `| ${value} | ${i.ratePerSec} | ${(i.success * 100).toFixed(2)} % | ${i.latencyMs.p50} | ${i.latencyMs.p99} | ${s.recordLost} | ${rss} | ${s.loadStart} → ${s.loadEnd} |`
    : `| ${value} | ${e?.deliveredPerSec} | ${e?.latencyMs.p50} | ${e?.latencyMs.p99} | ${e?.lost} | ${e?.duplicates} | ${rss} | ${s.loadStart} → ${s.loadEnd} |`
}

for (const name of names) {
  const t = TUNABLES[name]!
  const sc = scenarioFor(t)
  const header = t.stage === 'ingest'
    ? `| ${t.env} | ingest ok/s | success | p50 ms | p99 ms | lost | peak RSS MiB | load start → end |\n|---|---|---|---|---|---|---|---|`
    : `| ${t.env} | delivered/s | p50 ms | p99 ms | lost | duplicates | peak RSS MiB api/worker | load start → end |\n|---|---|---|---|---|---|---|---|`
  const cmd = `node loadtest/sweep.ts ${name} --seconds ${seconds} --${t.stage}-rate ${sc.steps[0]!.rate}`
  const lines = [`\n### ${name} (${t.env}; ${sc.description}, ${sc.steps[0]!.rate}/s for ${seconds} s)\n\n\`${cmd}\`\n`, header]
  console.log(lines.join('\n'))
  for (const v of t.values) {
    const s = await runScenario(vegeta, sc, join(out, `${name}-${v}`), { workers: Number(values.workers), env: { [t.env]: v }, waitQuiet: true })
    appendFileSync(join(out, 'runs.txt'), `${describe(s)}\n\n`)
    const r = row(t, v, s)
    lines.push(r)
    console.log(r)
  }
  appendFileSync(join(out, 'sweeps.md'), `${lines.join('\n')}\n`)
}
