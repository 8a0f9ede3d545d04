/**
 * What the traffic rollup costs the hot paths: nanoseconds per counted event and per
 * counted attempt (a map update each), and the time of one flush after a busy interval.
 *
 *   node core/bench/traffic-rollup.ts [subscriptions=100] [per-interval=5000]
 *
 * The flush runs against its own database (created and dropped here).
 */
import { loadavg } from 'node:os'
import pino from 'pino'
import { createTestEnv } from '../src/testing/index.ts'
import { TrafficRollup } from '../src/traffic/rollup.ts'

const SUBSCRIPTIONS = Number(process.argv[2] ?? 100)
const PER_INTERVAL = Number(process.argv[3] ?? 5000)
const N = 2_000_000

const env = await createTestEnv('bench_rollup', { RELAY_PLUGINS: '@webhook-relay/plugin-http-relay' })
try {
  const relay = await env.start('api')
  const db = relay.services.db
  const [src] = await env.query<{ id: string }>(`INSERT INTO sources (id, name, slug, mode, enabled) VALUES (gen_random_uuid(), 'B', 'b', 'active', true) RETURNING id`)
  const subs = (await env.query<{ id: string }>(`INSERT INTO subscriptions (id, source_id, action, config, enabled, signing_secrets)
    SELECT gen_random_uuid(), $1, 'http-relay', '{"url":"http://127.0.0.1:9/"}', true, '[]' FROM generate_series(1, ${SUBSCRIPTIONS}) RETURNING id`, [src!.id])).map((r) => r.id)
  const r = new TrafficRollup({ db, log: pino({ level: 'silent' }) })
  const now = Date.now()

  let t = process.hrtime.bigint()
  for (let i = 0; i < N; i++) r.event(src!.id, now + (i % 60_000))
  const eventNs = Number(process.hrtime.bigint() - t) / N
  t = process.hrtime.bigint()
  for (let i = 0; i < N; i++) r.attempt({ subscriptionId: subs[i % SUBSCRIPTIONS]!, result: i % 10 ? 'succeeded' : 'failed', at: now + (i % 60_000), durationMs: i % 700, error: i % 10 ? null : 'HTTP 503' })
  const attemptNs = Number(process.hrtime.bigint() - t) / N
  await r.flush()

  // One flush interval's worth (PER_INTERVAL attempts spread over the subscriptions), five times.
  const flushes: number[] = []
  for (let k = 0; k < 5; k++) {
    for (let i = 0; i < PER_INTERVAL; i++) {
      r.event(src!.id)
      r.attempt({ subscriptionId: subs[i % SUBSCRIPTIONS]!, result: 'succeeded', at: Date.now(), durationMs: 30, error: null })
    }
    const f = performance.now()
    await r.flush()
    flushes.push(performance.now() - f)
  }
  flushes.sort((a, b) => a - b)
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${SUBSCRIPTIONS} subscriptions`)
  console.log(`${eventNs.toFixed(0).padStart(6)} ns  per counted event`)
  console.log(`${attemptNs.toFixed(0).padStart(6)} ns  per counted attempt`)
  console.log(`${flushes[2]!.toFixed(1).padStart(6)} ms  per flush of ${PER_INTERVAL} events and attempts (median of 5; one every 5 s)`)
} finally {
  await env.close()
}
