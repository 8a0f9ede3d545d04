/**
 * Failover benchmark: kill -9 a worker with deliveries in flight to a slow receiver,
 * start a fresh one, and time how long until every one of them has reached the
 * receiver again and succeeded (core/src/testing/failover.ts). Prints each run and the
 * median; the 1-minute load average is printed with them.
 *
 *   node loadtest/failover.ts [--runs 3] [--in-flight 60] [--delay-ms 3000] [--liveness-ttl-ms 5000]
 *
 * --liveness-ttl-ms 600000 approximates a relay without liveness keys: only the
 * idle-time reclaim (120 s) and the leases are left to recover the work.
 */
import { parseArgs } from 'node:util'
import { runFailover, type FailoverResult } from '../core/src/testing/failover.ts'
import { load1 } from './src/machine-load.ts'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'in-flight': { type: 'string', default: '60' },
    'delay-ms': { type: 'string', default: '3000' },
    'liveness-ttl-ms': { type: 'string', default: '5000' },
  },
})
const runs = Number(values.runs)
const opts = {
  inFlight: Number(values['in-flight']),
  receiverDelayMs: Number(values['delay-ms']),
  env: { RELAY_PLUGINS: '@webhook-relay/plugin-http-relay', RELAY_WORKER_LIVENESS_TTL_MS: String(values['liveness-ttl-ms']) },
  timeoutMs: 300_000,
}
console.log(`failover: ${opts.inFlight} deliveries in flight to a ${opts.receiverDelayMs} ms receiver, liveness TTL ${values['liveness-ttl-ms']} ms, ${runs} runs, load ${load1()}`)
const results: FailoverResult[] = []
for (let i = 1; i <= runs; i++) {
  const r = await runFailover(opts)
  results.push(r)
  console.log(`run ${i}: second worker up ${r.secondWorkerUpMs} ms after the kill; from then: all arrived ${r.allArrivedMs} ms, all succeeded ${r.allSucceededMs} ms; duplicates after the kill ${r.duplicatesAfterKill}`)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(`median: all arrived ${median(results.map((r) => r.allArrivedMs))} ms, all succeeded ${median(results.map((r) => r.allSucceededMs))} ms after the new worker was up (load ${load1()})`)
