/**
 * Bytes stored per delivered webhook, per table: a relay in this process, one http-relay
 * subscription to a local receiver, N webhooks of a ~1 KB JSON body, each delivered on
 * the first attempt. Prints the row bytes (sum of pg_column_size) and the table's total
 * size with its indexes and TOAST (pg_total_relation_size, summed over a partitioned
 * table's partitions), each divided by N.
 *
 *   node loadtest/storage.ts [--count 2000] [--bytes 1024]
 */
import { parseArgs } from 'node:util'
import { createTestEnv, eventually, startSubscriber } from '../core/src/testing/index.ts'

const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' }, bytes: { type: 'string', default: '1024' } } })
const n = Number(values.count)
const filler = 'x'.repeat(Math.max(0, Number(values.bytes) - 60))
const TABLES = ['events', 'event_idempotency', 'deliveries', 'delivery_attempts', 'dead_letters']

const env = await createTestEnv('storage', { RELAY_PLUGINS: '@webhook-relay/plugin-http-relay' })
const sub = await startSubscriber()
try {
  const relay = await env.start('all')
  // As on an install that has run for a while: a partition covers now (a fresh one starts
  // its first partition 30 s ahead, sql/0015), so the rows land where they will live.
  if ((await env.query("SELECT to_regproc('relay_partitions') AS f"))[0]!.f) {
    const { addPartition, listPartitions } = await import('../core/src/store/partitions.ts')
    const deadline = Date.now() + 10_000
    while ((await listPartitions(relay.services.db)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const first = (await listPartitions(relay.services.db))[0]
    if (first && first.lower_at > Date.now()) await addPartition(relay.services.db, Date.now() - 60_000, first.lower_at)
  }
  const source = (await relay.api('/api/v1/sources', { body: { name: 'storage', slug: 'storage' } })).body
  await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/hook` } } })
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => fetch(`${relay.url}/in/storage`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `evt_${i + j}` }, body: JSON.stringify({ id: i + j, type: 'order.created', data: filler }),
    }).then((r) => r.text())))
  }
  await eventually(async () => (await env.query<{ n: number }>("SELECT count(*)::int AS n FROM deliveries WHERE status = 'succeeded'"))[0]!.n === n, 'every delivery to succeed', 120_000, 200)
  await env.query('VACUUM ANALYZE')
  console.log(`${n} webhooks of ${Number(values.bytes)} bytes, each delivered once`)
  let rows = 0
  let total = 0
  for (const t of TABLES) {
    // event_idempotency exists from sql/0015 on: an older checkout measured side by side has none.
    if (!(await env.query<{ r: string | null }>('SELECT to_regclass($1) AS r', [t]))[0]!.r) continue
    const [r] = await env.query<{ row_bytes: string; total_bytes: string }>(`SELECT coalesce(sum(pg_column_size(t.*)), 0)::bigint AS row_bytes, (CASE WHEN (SELECT relkind FROM pg_class WHERE oid = '${t}'::regclass) = 'p'
        THEN (SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('${t}')) ELSE pg_total_relation_size('${t}') END) AS total_bytes FROM ${t} t`)
    rows += Number(r!.row_bytes)
    total += Number(r!.total_bytes)
    console.log(`${t.padEnd(18)} rows ${String(Math.round(Number(r!.row_bytes) / n)).padStart(6)} B   with indexes and TOAST ${String(Math.round(Number(r!.total_bytes) / n)).padStart(6)} B   per webhook`)
  }
  console.log(`${'all'.padEnd(18)} rows ${String(Math.round(rows / n)).padStart(6)} B   with indexes and TOAST ${String(Math.round(total / n)).padStart(6)} B   per webhook`)
} finally {
  await sub.close()
  await env.close()
}
