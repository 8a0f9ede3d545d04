/**
 * One measured run: fresh relay, sources and subscriptions, a vegeta attack, a drain,
 * then the numbers (vegeta's ingest view, the end-to-end view per endpoint, memory).
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { attack } from './attack.ts'
import { cpuSnapshot, cpuUsed, type CpuUsage } from './cpu.ts'
import { deliveryRows, openWork, storedEventIds, subscriptionE2E, type SubscriptionE2E } from './e2e.ts'
import { load1, waitQuiet } from './machine-load.ts'
import { REDIS_URL, startRelay } from './relay-harness.ts'
import { sampleRss } from './rss.ts'
import type { Scenario } from './scenarios.ts'
import { PROVIDERS } from './sign.ts'
import type { TargetSpec } from './targets.ts'
import type { Vegeta } from './vegeta.ts'
import type { Arrival } from '../subscriber.ts'

const DRAIN_POLL_MS = 250

export interface RunOptions {
  workers: number
  /** Extra RELAY_* settings (sweeps); the scenario's own come first. */
  env?: Record<string, string>
  /** Wait for a quiet machine before starting (measured runs); off for the smoke test. */
  waitQuiet?: boolean
}

export interface RunSummary {
  scenario: string
  description: string
  workers: number
  env: Record<string, string>
  steps: Scenario['steps']
  loadStart: number
  loadEnd: number
  quiet: boolean
  ingest: { requests: number; ratePerSec: number; success: number; statusCodes: Record<string, number>; latencyMs: { p50: number; p95: number; p99: number; max: number }; errors: string[] }
  /** Record mode: accepted events missing from Postgres. */
  recordLost?: number
  duplicatesAnswered: number
  endpoints: Record<string, SubscriptionE2E>
  drainSeconds: number
  rss: Record<string, { peakMiB: number; startMiB: number; endMiB: number }>
  /** CPU-seconds from the attack's start to the drain's end (loadtest/src/cpu.ts). */
  cpu: CpuUsage & { total: number; perThousandDelivered: number | null }
  dir: string
}

const ms = (ns: number) => Math.round(ns / 1e4) / 100

export async function runScenario(vegeta: Vegeta, sc: Scenario, dir: string, opts: RunOptions): Promise<RunSummary> {
  mkdirSync(dir, { recursive: true })
  const quiet = opts.waitQuiet ? await waitQuiet() : { load: load1(), quiet: true }
  const env = { ...sc.env, ...opts.env }
  const relay = await startRelay({ workers: opts.workers, env, endpoints: sc.endpoints })
  try {
    const specs: TargetSpec[] = []
    const subIds = new Map<string, Set<string>>(Object.keys(sc.endpoints).map((e) => [e, new Set()]))
    for (const provider of PROVIDERS) {
      const secret = provider === 'stripe' ? `whsec_${randomBytes(24).toString('base64')}` : randomBytes(20).toString('hex')
      const src = await relay.post('/sources', { name: `loadtest ${provider}`, slug: provider, mode: sc.mode, verification: { type: provider, secret } })
      specs.push({ provider, url: `${relay.base}/in/${provider}`, secret, size: sc.size })
      for (const [name, set] of subIds) {
        const sub = await relay.post('/subscriptions', { sourceId: src.id, action: 'http-relay', config: { url: `${relay.subscriber[name]}/hook` } })
        set.add(sub.id)
      }
    }
    const rss = sampleRss({ api: relay.apiPid, ...Object.fromEntries(relay.workerPids.map((p, i) => [`worker${i + 1}`, p])) })
    const cpuOf = { relayPids: [relay.apiPid, ...relay.workerPids], databaseUrl: relay.databaseUrl, redisUrl: REDIS_URL }
    const cpuStart = await cpuSnapshot(cpuOf)
    const a = await attack(vegeta, dir, `${sc.name}: ${sc.description}`, sc.steps, specs)

    const drainStart = Date.now()
    const control = relay.subscriber.control!
    let polls = 0
    while (subIds.size > 0 && Date.now() - drainStart < sc.drainMs) {
      const counts = (await (await fetch(`${control}/counts`)).json()) as Record<string, number>
      if (Object.values(counts).every((n) => n >= a.accepted.size)) break
      // Dead deliveries never reach the subscriber: every 2 s, ask Postgres whether any
      // work is left at all (before this, a run with one dead delivery waited out its bound).
      if (++polls % 8 === 0 && (await openWork(relay.databaseUrl)) === 0) break
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS))
    }
    const drainSeconds = Math.round((Date.now() - drainStart) / 100) / 10
    const cpu = cpuUsed(cpuStart, await cpuSnapshot(cpuOf))
    const loadEnd = load1()
    const memory = rss.stop()

    const endpoints: Record<string, SubscriptionE2E> = {}
    let recordLost: number | undefined
    if (subIds.size > 0) {
      const [rows, pending, records] = await Promise.all([
        deliveryRows(relay.databaseUrl),
        storedEventIds(relay.databaseUrl, true),
        fetch(`${control}/records`).then((r) => r.json() as Promise<Record<string, Arrival[]>>),
      ])
      for (const [name, ids] of subIds) endpoints[name] = subscriptionE2E(a.accepted, rows, ids, records[name] ?? [], pending)
    } else {
      const stored = await storedEventIds(relay.databaseUrl)
      recordLost = [...a.accepted].filter((id) => !stored.has(id)).length
    }
    const r = a.report
    const summary: RunSummary = {
      scenario: sc.name,
      description: sc.description,
      workers: opts.workers,
      env,
      steps: sc.steps,
      loadStart: quiet.load,
      loadEnd,
      quiet: quiet.quiet,
      ingest: {
        requests: r.requests,
        ratePerSec: Math.round(r.rate),
        success: r.success,
        statusCodes: r.status_codes,
        latencyMs: { p50: ms(r.latencies['50th']), p95: ms(r.latencies['95th']), p99: ms(r.latencies['99th']), max: ms(r.latencies.max) },
        errors: (r.errors ?? []).slice(0, 5),
      },
      ...(recordLost === undefined ? {} : { recordLost }),
      duplicatesAnswered: a.duplicatesAnswered,
      endpoints,
      drainSeconds,
      rss: memory,
      cpu: perThousand(cpu, Object.values(endpoints).reduce((n, e) => n + e.delivered, 0)),
      dir,
    }
    writeFileSync(`${dir}/summary.json`, JSON.stringify(summary, null, 2))
    return summary
  } finally {
    await relay.stop()
  }
}

/** Everything's CPU (relay, every PostgreSQL process, Redis) per 1,000 deliveries that arrived. */
function perThousand(cpu: CpuUsage, delivered: number): RunSummary['cpu'] {
  const total = Math.round((cpu.relay + cpu.postgresAll + cpu.redis) * 100) / 100
  return { ...cpu, total, perThousandDelivered: delivered ? Math.round((total / delivered) * 1000 * 100) / 100 : null }
}

/** One line per endpoint for the console and the markdown tables. */
export function describe(s: RunSummary): string {
  const i = s.ingest
  const head = `${s.scenario} (workers ${s.workers}${Object.keys(s.env).length ? `, ${Object.entries(s.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}) load ${s.loadStart}→${s.loadEnd}`
  const ingest = `  ingest: ${i.requests} req at ${i.ratePerSec}/s, success ${(i.success * 100).toFixed(2)} %, p50 ${i.latencyMs.p50} ms p95 ${i.latencyMs.p95} ms p99 ${i.latencyMs.p99} ms max ${i.latencyMs.max} ms, codes ${JSON.stringify(i.statusCodes)}${s.recordLost === undefined ? '' : `, lost ${s.recordLost}`}`
  const eps = Object.entries(s.endpoints).map(([n, e]) => `  ${n}: delivered ${e.delivered}/${e.expected} at ${e.deliveredPerSec}/s, ingest→delivery p50 ${e.latencyMs.p50} p95 ${e.latencyMs.p95} p99 ${e.latencyMs.p99} max ${e.latencyMs.max} ms, requests ${e.requests}, duplicates ${e.duplicates}, dead ${e.dead}, unfinished ${e.unfinished}, lost ${e.lost}`)
  const mem = `  rss MiB (peak): ${Object.entries(s.rss).map(([k, v]) => `${k} ${v.peakMiB}`).join(', ')}; drain ${s.drainSeconds} s`
  const c = s.cpu
  const cpu = `  cpu-s: relay ${c.relay}, postgres ${c.postgresAll} (its database's backends ${c.postgresDb}), redis ${c.redis}; total ${c.total}${c.perThousandDelivered === null ? '' : `, ${c.perThousandDelivered} per 1,000 delivered`}`
  return [head, ingest, ...eps, mem, cpu].join('\n')
}
