/**
 * The load test against a relay that is already running (your laptop's `npm start`, a
 * staging install, a cluster through its ingress or a port-forward), driven only through
 * its public surfaces: the admin API and the ingest URLs. It creates one source per
 * provider (record mode unless told otherwise, so nothing is forwarded anywhere),
 * attacks them with vegeta, checks through the API that every 202 was stored, and
 * deletes the sources again.
 *
 * End-to-end delivery numbers need the recording subscriber and the database, so they
 * come from `run.ts` (a throwaway relay); against your own relay, delivered/s and
 * latency are on its metrics (docs/metrics.md).
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminApi } from '../../core/src/testing/relay-process.ts'
import { attack, type Step, type VegetaReport } from './attack.ts'
import { PROVIDERS } from './sign.ts'
import { DEFAULT_SIZE_MIX, type TargetSpec } from './targets.ts'
import type { Vegeta } from './vegeta.ts'

export interface RemoteOptions {
  /** The relay's base URL, e.g. https://relay.example.com */
  url: string
  /** Its admin token (RELAY_ADMIN_TOKEN). */
  token: string
  steps: Step[]
  /** record (default): ingest only. active: each source relays to `subscriberUrl`. */
  mode: 'record' | 'active'
  subscriberUrl?: string
  size?: TargetSpec['size']
  /** Keep the sources and their events afterwards (default: delete them). */
  keep?: boolean
}

export interface RemoteSummary {
  url: string
  mode: 'record' | 'active'
  steps: Step[]
  ingest: { requests: number; ratePerSec: number; success: number; latencyMs: { p50: number; p95: number; p99: number; max: number }; statusCodes: Record<string, number> }
  accepted: number
  /** Accepted (202 with an eventId) but not found through the API afterwards. Must be 0. */
  lost: number
  sourcesDeleted: boolean
  dir: string
}

const ms = (ns: number) => Math.round(ns / 1e4) / 100
const PAGE = 500

export async function runRemote(vegeta: Vegeta, o: RemoteOptions, dir: string): Promise<RemoteSummary> {
  if (o.mode === 'active' && !o.subscriberUrl) throw new Error('active mode needs --subscriber-url: where the relay should deliver')
  mkdirSync(dir, { recursive: true })
  const base = o.url.replace(/\/$/, '')
  const admin = adminApi(base, o.token)

  const run = randomBytes(3).toString('hex')
  const sources: { id: string }[] = []
  try {
    const specs: TargetSpec[] = []
    for (const provider of PROVIDERS) {
      const secret = provider === 'stripe' ? `whsec_${randomBytes(24).toString('base64')}` : randomBytes(20).toString('hex')
      const src = (await admin('POST', '/sources', { name: `load test ${run} ${provider}`, slug: `loadtest-${run}-${provider}`, mode: o.mode, verification: { type: provider, secret } })) as { id: string }
      sources.push(src)
      if (o.mode === 'active') await admin('POST', '/subscriptions', { sourceId: src.id, action: 'http-relay', config: { url: o.subscriberUrl } })
      // The relay's own view of its ingest URL may be its public one; the attack goes where we reach it.
      specs.push({ provider, url: `${base}/in/loadtest-${run}-${provider}`, secret, size: o.size ?? DEFAULT_SIZE_MIX })
    }
    const a = await attack(vegeta, dir, `${base}: ${o.mode} mode, ${o.steps.map((s) => `${s.rate}/s x ${s.seconds} s`).join(', ')}`, o.steps, specs)

    const stored = new Set<string>()
    for (const s of sources) {
      let before: string | null = null
      do {
        const page = (await admin('GET', `/events?sourceId=${s.id}&limit=${PAGE}${before ? `&before=${before}` : ''}`)) as { items: { id: string }[]; nextBefore: string | null }
        for (const e of page.items) stored.add(e.id)
        before = page.nextBefore
      } while (before)
    }
    let lost = 0
    for (const id of a.accepted) if (!stored.has(id)) lost++

    const r: VegetaReport = a.report
    const summary: RemoteSummary = {
      url: base,
      mode: o.mode,
      steps: o.steps,
      ingest: {
        requests: r.requests,
        ratePerSec: Math.round(r.throughput),
        success: r.success,
        latencyMs: { p50: ms(r.latencies['50th']), p95: ms(r.latencies['95th']), p99: ms(r.latencies['99th']), max: ms(r.latencies.max) },
        statusCodes: r.status_codes,
      },
      accepted: a.accepted.size,
      lost,
      sourcesDeleted: !o.keep,
      dir,
    }
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2))
    return summary
  } finally {
    if (!o.keep) for (const s of sources) await admin('DELETE', `/sources/${s.id}`).catch(() => {})
  }
}

export function formatRemote(s: RemoteSummary): string {
  const i = s.ingest
  return [
    `${s.url} (${s.mode} mode)`,
    `  ingest: ${i.requests} req at ${i.ratePerSec}/s, success ${(i.success * 100).toFixed(2)} %, p50 ${i.latencyMs.p50} ms p95 ${i.latencyMs.p95} ms p99 ${i.latencyMs.p99} ms max ${i.latencyMs.max} ms, codes ${JSON.stringify(i.statusCodes)}`,
    `  accepted ${s.accepted}, stored ${s.accepted - s.lost}, lost ${s.lost}${s.sourcesDeleted ? '; test sources deleted' : '; test sources kept'}`,
    `  reports: ${s.dir}`,
  ].join('\n')
}
