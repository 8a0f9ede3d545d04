/**
 * One vegeta attack, open model: each step sends at a fixed rate for a fixed time,
 * whatever the server does (a ramp is several steps). Targets are written before the
 * first step so generating them does not compete with the relay for CPU, and each
 * target is used once (`-lazy`, exactly rate × seconds of them), so every request is a
 * new event. Writes report.txt, report.json, hdr.txt and plot.html (plot.png when a
 * headless chromium is there) into `dir`.
 */
import { spawnSync } from 'node:child_process'
import { createReadStream, existsSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { writeTargets, type TargetSpec } from './targets.ts'
import type { Vegeta } from './vegeta.ts'

/** Request timeout: a request still unanswered after this counts as an error. */
export const ATTACK_TIMEOUT = '30s'
/** Upper bound on vegeta's goroutines: an overloaded server then shows as latency, not as an unbounded connection storm. */
export const MAX_WORKERS = 2000

export interface Step { rate: number; seconds: number }

export interface VegetaReport {
  requests: number
  rate: number
  throughput: number
  success: number
  status_codes: Record<string, number>
  errors: string[] | null
  latencies: Record<'mean' | '50th' | '90th' | '95th' | '99th' | 'max' | 'min' | 'total', number>
}

export interface AttackResult {
  report: VegetaReport
  /** eventIds from 202 answers. */
  accepted: Set<string>
  /** 200 answers: the relay saw the delivery id before (should be 0, every target is new). */
  duplicatesAnswered: number
  startedAt: number
  endedAt: number
}

async function acceptedIds(vegeta: Vegeta, files: string[], dir: string): Promise<{ accepted: Set<string>; dup: number }> {
  const json = join(dir, 'results.ndjson')
  await vegeta.run(['encode', '--to=json', `--output=${json}`, ...files])
  const accepted = new Set<string>()
  let dup = 0
  for await (const line of createInterface({ input: createReadStream(json) })) {
    if (!line) continue
    const r = JSON.parse(line) as { code: number; body?: string }
    if (r.code === 200) dup++
    if (r.code !== 202 || !r.body) continue
    const id = (JSON.parse(Buffer.from(r.body, 'base64').toString()) as { eventId?: string }).eventId
    if (id) accepted.add(id)
  }
  rmSync(json)
  return { accepted, dup }
}

/** Renders vegeta's HTML plot to PNG with Debian's chromium, if installed. */
export function renderPng(html: string, png: string): boolean {
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync)
  if (!chromium) return false
  // Absolute paths: a results directory given as a relative path made `file://loadtest/…`,
  // which chromium cannot open, and every plot.png was silently missing.
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--hide-scrollbars', '--window-size=1200,760', '--virtual-time-budget=5000', `--screenshot=${resolve(png)}`, pathToFileURL(resolve(html)).href]
  const r = spawnSync(chromium, args, { stdio: 'ignore', timeout: 60_000 })
  return r.status === 0 && existsSync(png)
}

export async function attack(vegeta: Vegeta, dir: string, title: string, steps: readonly Step[], specs: readonly TargetSpec[]): Promise<AttackResult> {
  const targetFiles = await Promise.all(steps.map(async (s, i) => {
    const f = join(dir, `targets-${i}.ndjson`)
    await writeTargets(f, specs, Math.round(s.rate * s.seconds))
    return f
  }))
  const resultFiles: string[] = []
  const startedAt = Date.now()
  for (const [i, s] of steps.entries()) {
    const out = join(dir, `results-${i}.bin`)
    await vegeta.run(['attack', '-format=json', '-lazy', `-targets=${targetFiles[i]}`, `-rate=${s.rate}/1s`, `-duration=${s.seconds}s`, `-timeout=${ATTACK_TIMEOUT}`, `-max-workers=${MAX_WORKERS}`, `-name=${s.rate}rps`, `-output=${out}`])
    resultFiles.push(out)
    rmSync(targetFiles[i]!)
  }
  const endedAt = Date.now()
  await vegeta.run(['report', '-type=text', `-output=${join(dir, 'report.txt')}`, ...resultFiles])
  await vegeta.run(['report', '-type=json', `-output=${join(dir, 'report.json')}`, ...resultFiles])
  await vegeta.run(['report', '-type=hdrplot', `-output=${join(dir, 'hdr.txt')}`, ...resultFiles])
  await vegeta.run(['plot', `-title=${title}`, `-output=${join(dir, 'plot.html')}`, ...resultFiles])
  renderPng(join(dir, 'plot.html'), join(dir, 'plot.png'))
  const { accepted, dup } = await acceptedIds(vegeta, resultFiles, dir)
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as VegetaReport
  return { report, accepted, duplicatesAnswered: dup, startedAt, endedAt }
}
