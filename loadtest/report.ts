/**
 * `node loadtest/report.ts <results-dir>`: markdown tables from the summary.json files
 * of a run-all.sh results directory (scenarios/ and scaling/), for docs/load-testing.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunSummary } from './src/run-scenario.ts'

const root = process.argv[2]
if (!root) {
  console.error('usage: report.ts <results-dir>')
  process.exit(2)
}

function summaries(dir: string): RunSummary[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'summary.json')))
    .map((d) => JSON.parse(readFileSync(join(dir, d, 'summary.json'), 'utf8')) as RunSummary)
}

const rate = (s: RunSummary) => s.steps.map((x) => `${x.rate}/s×${x.seconds}s`).join(', ')
const peak = (s: RunSummary) => Object.entries(s.rss).map(([k, v]) => `${k} ${v.peakMiB}`).join(', ')

const scen = summaries(join(root, 'scenarios'))
if (scen.length) {
  console.log('| scenario | offered | ingest ok/s | ingest p50 / p99 ms | 202s | endpoint | delivered | delivered/s | ingest→delivery p50 / p95 / p99 ms | requests | dup | dead | lost | peak RSS MiB | load start → end |')
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const s of scen) {
    const i = s.ingest
    const head = `| ${s.scenario} | ${rate(s)} | ${i.ratePerSec} | ${i.latencyMs.p50} / ${i.latencyMs.p99} | ${i.statusCodes['202'] ?? 0}/${i.requests}`
    const eps = Object.entries(s.endpoints)
    if (!eps.length) console.log(`${head} | (record) | — | — | — | — | — | — | ${s.recordLost} | ${peak(s)} | ${s.loadStart} → ${s.loadEnd} |`)
    for (const [n, e] of eps) {
      console.log(`${head} | ${n} | ${e.delivered}/${e.expected} | ${e.deliveredPerSec} | ${e.latencyMs.p50} / ${e.latencyMs.p95} / ${e.latencyMs.p99} | ${e.requests} | ${e.duplicates} | ${e.dead} | ${e.lost}${e.unfinished ? ` (+${e.unfinished} unfinished)` : ''} | ${peak(s)} | ${s.loadStart} → ${s.loadEnd} |`)
    }
  }
}
const scal = summaries(join(root, 'scaling')).sort((a, b) => a.workers - b.workers)
if (scal.length) {
  console.log('\n| worker processes | offered | ingest ok/s | delivered/s | ingest→delivery p50 / p99 ms | lost | peak RSS MiB | load start → end |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const s of scal) {
    const e = s.endpoints.fast!
    console.log(`| ${s.workers} | ${rate(s)} | ${s.ingest.ratePerSec} | ${e.deliveredPerSec} | ${e.latencyMs.p50} / ${e.latencyMs.p99} | ${e.lost} | ${peak(s)} | ${s.loadStart} → ${s.loadEnd} |`)
  }
}
