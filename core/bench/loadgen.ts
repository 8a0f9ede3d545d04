/**
 * Load generator for the benchmark, run as its own process so it does not share an
 * event loop with what it measures. Two models:
 *  - max:  `connections` closed loops, each sending the next request when the previous
 *          answers (throughput ceiling);
 *  - rate: an open model at a fixed rate; latency is measured from the *scheduled* send
 *          time, so a stalled server is not hidden by the generator waiting on it.
 * Bodies carry the send time (`t`) so the subscriber can measure ingest-to-delivery.
 * Prints one JSON line: {sent, ok, errors, statuses, seconds, rps, p50, p95, p99, max}.
 */
import { Pool } from 'undici'

const [url, mode, rateArg, secondsArg, connArg] = process.argv.slice(2)
if (!url || (mode !== 'max' && mode !== 'rate')) {
  console.error('usage: loadgen.ts <url> max|rate <rate> <seconds> <connections>')
  process.exit(2)
}
const rate = Number(rateArg)
const seconds = Number(secondsArg)
const connections = Number(connArg ?? 64)
const target = new URL(url)
const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 })
const path = target.pathname

const latencies: number[] = []
const statuses = new Map<number, number>()
let sent = 0
let errors = 0
let seq = 0
// ~1 KB payload, the size of a typical small webhook.
const padding = 'x'.repeat(900)

async function one(scheduledAt: number): Promise<void> {
  sent++
  const body = `{"t":${Date.now()},"seq":${seq++},"padding":"${padding}"}`
  try {
    const res = await pool.request({ path, method: 'POST', body, headers: { 'content-type': 'application/json' } })
    await res.body.dump()
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    latencies.push(performance.now() - scheduledAt)
  } catch {
    errors++
  }
}

const started = performance.now()
const deadline = started + seconds * 1000
if (mode === 'max') {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) await one(performance.now())
    }),
  )
} else {
  const inflight = new Set<Promise<void>>()
  const interval = 1000 / rate
  let next = started
  // A 1 ms timer sends whatever is due; it never spins, so the generator leaves the CPU
  // to what it measures. Lateness is charged to the server (latency from scheduled time).
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now()
      while (next <= now && next < deadline) {
        const p = one(next).finally(() => inflight.delete(p))
        inflight.add(p)
        next += interval
      }
      if (next >= deadline) {
        clearInterval(timer)
        resolve()
      }
    }, 1)
  })
  await Promise.all(inflight)
}
const elapsed = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0).toFixed(2))
const ok = [...statuses].filter(([s]) => s >= 200 && s < 300).reduce((a, [, n]) => a + n, 0)
console.log(
  JSON.stringify({
    sent,
    ok,
    errors,
    statuses: Object.fromEntries(statuses),
    seconds: Number(elapsed.toFixed(2)),
    rps: Math.round(ok / elapsed),
    p50: pct(50),
    p95: pct(95),
    p99: pct(99),
    max: pct(100),
  }),
)
await pool.close()
