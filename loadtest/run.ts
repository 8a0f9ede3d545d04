/**
 * `node loadtest/run.ts [scenario…] [options]`: the load-test scenarios against a
 * throwaway local relay (docs/load-testing.md). With no scenario names, runs them all.
 *
 *   --rate N          base rate, requests/s (default 300)
 *   --seconds N       length of a constant-rate run (default 15)
 *   --sustainable N   the rate the relay sustains end to end; the burst is 10x (default: --rate)
 *   --burst-seconds N (default 30)
 *   --workers 1,2,4   worker processes; several values run each scenario once per value
 *   --env K=V         extra RELAY_* setting for api and workers (repeatable)
 *   --out DIR         results directory (default loadtest/results/<time>)
 *   --no-wait         do not wait for the machine's load to drop below 1.5 first
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { describe, runScenario } from './src/run-scenario.ts'
import { scenarios } from './src/scenarios.ts'
import { requireVegeta } from './src/vegeta.ts'

const DEFAULT_RATE = 300
const DEFAULT_SECONDS = 15
const DEFAULT_BURST_SECONDS = 30

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rate: { type: 'string' },
    seconds: { type: 'string' },
    sustainable: { type: 'string' },
    'burst-seconds': { type: 'string' },
    workers: { type: 'string', default: '1' },
    env: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    'no-wait': { type: 'boolean', default: false },
  },
})
const rate = Number(values.rate ?? DEFAULT_RATE)
const all = scenarios({
  rate,
  seconds: Number(values.seconds ?? DEFAULT_SECONDS),
  sustainable: Number(values.sustainable ?? rate),
  burstSeconds: Number(values['burst-seconds'] ?? DEFAULT_BURST_SECONDS),
})
const unknown = positionals.filter((n) => !all.some((s) => s.name === n))
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from: ${all.map((s) => s.name).join(', ')}`)
  process.exit(2)
}
const chosen = positionals.length ? all.filter((s) => positionals.includes(s.name)) : all
const env = Object.fromEntries(values.env.map((kv) => {
  const i = kv.indexOf('=')
  if (i < 1) throw new Error(`--env wants KEY=VALUE, got ${kv}`)
  return [kv.slice(0, i), kv.slice(i + 1)]
}))
const workerCounts = values.workers.split(',').map(Number)
const vegeta = requireVegeta()
const out = values.out ?? join('loadtest', 'results', new Date().toISOString().replace(/[:.]/g, '-'))
mkdirSync(out, { recursive: true })
console.log(`vegeta: ${vegeta.via}; results in ${out}`)

for (const sc of chosen) {
  for (const workers of workerCounts) {
    const dir = join(out, workerCounts.length > 1 ? `${sc.name}-w${workers}` : sc.name)
    console.log(`\n== ${sc.name}: ${sc.description} (${sc.steps.map((s) => `${s.rate}/s x ${s.seconds} s`).join(', ')}; ${workers} worker process(es))`)
    const summary = await runScenario(vegeta, sc, dir, { workers, env, waitQuiet: !values['no-wait'] })
    const text = describe(summary)
    console.log(text)
    appendFileSync(join(out, 'summary.txt'), `${text}\n\n`)
  }
}
