/**
 * What the overview costs on a large store, side by side in one run: the counts it used
 * to make (an hour of events and deliveries counted row by row) against the traffic
 * rollup it reads now, for the last hour and the last day. Prints milliseconds (median
 * of RUNS) and the load average.
 *
 *   node ui/bench/overview.ts [events=1000000] [subscriptions=100]
 *
 * Seeds its own database: EVENTS events and as many deliveries spread over the last
 * hour, and two days of rollup rows (both spans) for SUBSCRIPTIONS subscriptions (what
 * two days of steady traffic leave). VACUUM ANALYZE after seeding, as autovacuum would.
 */
import { loadavg } from 'node:os'
import { sql } from 'slonik'
import { subscriptionTraffic, trafficSeries } from '@webhook-relay/core/admin'
import { overview, uuidV7Floor } from '../src/queries.ts'
import { traffic } from '../src/traffic.ts'
import { createUiTestEnv } from '../test/env.ts'

const EVENTS = Number(process.argv[2] ?? 1_000_000)
const SUBSCRIPTIONS = Number(process.argv[3] ?? 100)
const RUNS = 7

const env = await createUiTestEnv('bench_overview')
try {
  const relay = await env.start('api')
  const s = relay.services
  const [src] = await env.query<{ id: string }>(`INSERT INTO sources (id, name, slug, mode, enabled) VALUES (gen_random_uuid(), 'Load', 'load', 'active', true) RETURNING id`)
  await env.query(`INSERT INTO subscriptions (id, source_id, action, config, enabled, signing_secrets)
    SELECT gen_random_uuid(), $1, 'http-relay', jsonb_build_object('url', 'http://127.0.0.1:9/' || g), true, '[]'::jsonb FROM generate_series(1, ${SUBSCRIPTIONS}) g`, [src!.id])
  const subs = await env.query<{ id: string }>('SELECT id FROM subscriptions')
  console.log(`seeding ${EVENTS} events and deliveries over the last hour, and ${SUBSCRIPTIONS} subscriptions x 2 days of rollup minutes ...`)
  const t0 = performance.now()
  // UUIDv7-shaped ids in time order, as ingest writes them.
  await env.query(`INSERT INTO events (id, source_id, received_at, content_type, headers, body, fanout_status)
    SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || lpad(to_hex(g % 4096), 3, '0') || '8' || lpad(to_hex(g), 15, '0'))::uuid,
      $1, ts, 'application/json', '{}'::jsonb, convert_to('{"n":' || g || '}', 'UTF8'), 'done'
    FROM generate_series(1, ${EVENTS}) g, LATERAL (SELECT now() - make_interval(secs => 3600.0 * (${EVENTS} - g) / ${EVENTS}) AS ts) t`, [src!.id])
  await env.query(`INSERT INTO deliveries (id, event_id, subscription_id, origin, webhook_id, status, created_at, updated_at)
    SELECT e.id, e.id, $1, 'fanout', 'msg_' || e.id, CASE WHEN random() < 0.02 THEN 'dead' ELSE 'succeeded' END, e.received_at, e.received_at
    FROM events e`, [subs[0]!.id])
  // Both spans, as the rollup writes them: per minute, and per 15 minutes (15 times the counts).
  for (const span of [1, 15]) {
    const minutes = `generate_series(date_bin('${span} minutes', now(), to_timestamp(0)) - interval '2 days', now(), interval '${span} minutes') m`
    await env.query(`INSERT INTO traffic_events (span, minute, source_id, events) SELECT ${span}, m, $1, ${1000 * span} FROM ${minutes}`, [src!.id])
    await env.query(`INSERT INTO traffic_attempts (span, minute, subscription_id, succeeded, failed, dead, skipped, latency)
      SELECT ${span}, m, sub.id, ${10 * span}, ${span}, 0, 0, array_fill(${span}::bigint, ARRAY[12]) FROM ${minutes}, subscriptions sub`)
  }
  await env.query(`INSERT INTO subscription_health (subscription_id, last_success_at, consecutive_failures) SELECT id, now(), 0 FROM subscriptions`)
  await env.query('VACUUM ANALYZE')
  console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`)

  // The counters the overview read before the rollup (ui/src/queries.ts before sql/0018).
  const hourAgo = uuidV7Floor(Date.now() - 3600_000)
  const before = () =>
    s.db.query(sql.unsafe`SELECT
      (SELECT count(*) FROM events WHERE id >= ${uuidV7Floor(Date.now() - 300_000)}::uuid) AS events_5m,
      (SELECT count(*) FROM events WHERE id >= ${hourAgo}::uuid) AS events_1h,
      (SELECT count(*) FROM deliveries WHERE status = 'succeeded' AND created_at > now() - interval '1 hour') AS succeeded_1h,
      (SELECT count(*) FROM deliveries WHERE status IN ('dead', 'retrying') AND created_at > now() - interval '1 hour') AS failed_1h`)

  const median = async (f: () => Promise<unknown>) => {
    await f()
    const ms: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now()
      await f()
      ms.push(performance.now() - t)
    }
    return ms.sort((a, b) => a - b)[RUNS >> 1]!
  }
  const rows = {
    'before: hour counters over events and deliveries': await median(before),
    'now: overview counters (waiting work, failures)': await median(() => overview(s)),
    'now: traffic, last hour (charts + health)': await median(() => traffic(s, 'hour')),
    'now: traffic, last 24 hours (charts + health)': await median(() => traffic(s, 'day')),
    '  of which the series, 96 steps of 15 min': await median(() => trafficSeries(s.db, { sinceMs: Date.now() - 86_400_000, stepMs: 900_000 })),
    '  of which the per-subscription sums': await median(() => subscriptionTraffic(s.db, { sinceMs: Math.floor(Date.now() / 900_000) * 900_000 - 95 * 900_000, stepMs: 900_000 })),
  }
  console.log(`\n${EVENTS} events in the last hour, ${SUBSCRIPTIONS} subscriptions, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  for (const [name, ms] of Object.entries(rows)) console.log(`${ms.toFixed(1).padStart(9)} ms  ${name}`)
} finally {
  await env.close()
}
