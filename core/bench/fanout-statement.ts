/**
 * The fan-out statement for sources without filters, before and after event filters
 * (issue 18): the statement of 8661dfb (one UPDATE ... RETURNING feeding the INSERT) and
 * today's createFanout (the same UPDATE, which leaves pending the events of sources with
 * a filtered subscription). Same database, same subscriptions, batches alternating between the two
 * on fresh pending events, so machine noise hits both alike. Prints ms per batch of 100.
 *
 *   node core/bench/fanout-statement.ts [batches=200]
 */
import { loadavg } from 'node:os'
import { sql } from 'slonik'
import Type from 'typebox'
import { row } from '../src/db/row.ts'
import { createFanout } from '../src/delivery/transitions.ts'
import { statusIs, Status } from '../src/delivery/status.ts'
import { idTimeSpan, newId } from '../src/store/ids.ts'
import { createTestEnv } from '../src/testing/index.ts'

const BATCHES = Number(process.argv[2] ?? 200)
const SIZE = 100
const env = await createTestEnv('bench_fanout', { RELAY_PLUGINS: '@webhook-relay/plugin-http-relay' })
try {
  const relay = await env.start('api')
  const db = relay.services.db
  const source = (await relay.api('/api/v1/sources', { body: { name: 'f', slug: 'f' } })).body
  for (const path of ['/a', '/b']) await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `http://127.0.0.1:9${path}` } } })
  // Other sources with filtered subscriptions exist too, as on a real install.
  const other = (await relay.api('/api/v1/sources', { body: { name: 'g', slug: 'g' } })).body
  await relay.api('/api/v1/subscriptions', { body: { sourceId: other.id, action: 'http-relay', config: { url: 'http://127.0.0.1:9/c' }, filter: { path: '$.x', exists: true } } })

  const freshEvents = async () => {
    const ids = Array.from({ length: SIZE }, () => newId())
    await db.query(sql.unsafe`INSERT INTO events (id, source_id, headers, body) SELECT id, ${source.id}, '{}', '\\x7b7d'::bytea FROM unnest(${sql.array(ids, 'uuid')}::uuid[]) id`)
    return ids
  }
  const Fanned = row(Type.Object({ id: Type.String(), event_id: Type.String() }))
  const before = (eventIds: string[]) => {
    const ids = sql.array(eventIds, 'uuid')
    const span = idTimeSpan(eventIds)
    return db.any(sql.prepared('relay_fanout_before', Fanned)`
      WITH done AS (
        UPDATE events e SET fanout_status = 'done' WHERE e.id = ANY(${ids}) AND e.fanout_status = 'pending'
        RETURNING e.id, e.source_id
      ), created AS (
        INSERT INTO deliveries (id, event_id, subscription_id, origin, webhook_id)
        SELECT x.id, x.event_id, x.subscription_id, 'fanout', 'msg_' || replace(x.id::text, '-', '')
        FROM (
          SELECT relay_fanout_id(done.id, s.id) AS id, done.id AS event_id, s.id AS subscription_id
          FROM done JOIN subscriptions s ON s.source_id = done.source_id AND s.enabled
        ) x
        ON CONFLICT (id) DO NOTHING
        RETURNING id, event_id
      )
      SELECT id, event_id FROM created
      UNION ALL
      SELECT d.id, d.event_id FROM deliveries d
      WHERE d.id BETWEEN ${span.lo}::uuid AND ${span.hi}::uuid
        AND d.event_id = ANY(${ids}) AND d.origin = 'fanout' AND ${statusIs(sql.fragment`d.status`, Status.pending)}`)
  }
  const after = async (eventIds: string[]) => (await createFanout(db, eventIds)).deliveries
  const times = { before: [] as number[], after: [] as number[] }
  for (let i = 0; i < BATCHES + 20; i++) {
    for (const [name, run] of [['before', before], ['after', after]] as const) {
      const ids = await freshEvents()
      const t0 = performance.now()
      const out = await run(ids)
      const ms = performance.now() - t0
      if (out.length !== 2 * SIZE) throw new Error(`${name}: ${out.length} deliveries, expected ${2 * SIZE}`)
      if (i >= 20) times[name].push(ms) // the first 20 warm the plan cache
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const [b, a] = [median(times.before), median(times.after)]
  console.log(`fan-out of ${SIZE} events into 2 subscriptions, median of ${BATCHES} batches each, alternating:`)
  console.log(`  before filters (8661dfb)  ${b.toFixed(2)} ms`)
  console.log(`  now (one marking UPDATE)  ${a.toFixed(2)} ms   ${(a / b).toFixed(2)}x   load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
} finally {
  await env.close()
}
