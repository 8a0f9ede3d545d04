/**
 * How long sql/0015 (time partitions) takes on an install with data: a database at
 * sql/0014 is filled with N events of ~1 KB spread over the last D days, one delivery and
 * one attempt each (a tenth retrying, a hundredth dead with a dead letter), then the
 * migration is timed. Prints rows per second of the copy. Uses the machine's PostgreSQL
 * (TEST_DATABASE_HOST) and drops its database at the end.
 *
 *   node loadtest/migrate-0015.ts [--events 200000] [--days 30]
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { MIGRATIONS_DIR, migrate } from '../core/src/db/migrate.ts'
import { TEST_DATABASE_HOST } from '../core/src/testing/relay-env.ts'
import { load1 } from './src/machine-load.ts'

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, days: { type: 'string', default: '30' } } })
const n = Number(values.events)
const days = Number(values.days)
const database = `relay_migrate_bench_${process.pid}`
const url = `${TEST_DATABASE_HOST}/${database}`

const before = await mkdtemp(join(tmpdir(), 'relay-sql-'))
try {
  for (const f of await readdir(MIGRATIONS_DIR)) if (/^00(0\d|1[0-4])_/.test(f)) await cp(join(MIGRATIONS_DIR, f), join(before, f))
  await migrate(url, `${before}/`)
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query(`INSERT INTO sources (id, name, slug) VALUES ('01900000-0000-7000-8000-000000000001', 'bench', 'bench')`)
  await c.query(`INSERT INTO subscriptions (id, source_id, action) VALUES ('01900000-0000-7000-8000-000000000002', '01900000-0000-7000-8000-000000000001', 'http-relay')`)
  // v7 ids whose time is the event's received_at, as the relay makes them.
  await c.query(`INSERT INTO events (id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status)
    SELECT (lpad(to_hex(floor(extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7' || substr(md5(i::text), 1, 3) || '8' || substr(md5(i::text), 4, 15))::uuid,
      '01900000-0000-7000-8000-000000000001', t, 'application/json', '{"user-agent":"GitHub-Hookshot/abc","x-github-event":"push"}',
      convert_to(repeat('x', 1000), 'UTF8'), 'key-' || i, 'done'
    FROM (SELECT i, now() - make_interval(secs => (${days} * 86400.0 * i) / ${n}) AS t FROM generate_series(1, ${n}) i) s`)
  await c.query(`INSERT INTO deliveries (id, event_id, subscription_id, webhook_id, status, attempt_count, attempt_seq, dead_reason)
    SELECT gen_random_uuid(), id, '01900000-0000-7000-8000-000000000002', 'msg_' || md5(id::text),
      CASE WHEN random() < 0.1 THEN 'retrying' WHEN random() < 0.01 THEN 'dead' ELSE 'succeeded' END, 1, 1, NULL FROM events`)
  await c.query(`UPDATE deliveries SET dead_reason = 'exhausted' WHERE status = 'dead'`)
  await c.query(`INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, outcome, request_body_is_event, response_status)
    SELECT id, 1, now(), 12, 'ok', true, 200 FROM deliveries`)
  await c.query(`INSERT INTO dead_letters (delivery_id, reason) SELECT id, 'exhausted' FROM deliveries WHERE status = 'dead'`)
  await c.query('VACUUM ANALYZE')
  const rows = Number((await c.query(`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM deliveries) + (SELECT count(*) FROM delivery_attempts) + (SELECT count(*) FROM dead_letters) AS n`)).rows[0].n)
  const size = Number((await c.query('SELECT pg_database_size(current_database()) AS s')).rows[0].s)
  await c.end()

  console.log(`sql/0015 on ${n} events over ${days} days (${rows} rows in the four tables, database ${(size / 1048576).toFixed(0)} MB), load ${load1()}`)
  const t0 = performance.now()
  const r = await migrate(url)
  const seconds = (performance.now() - t0) / 1000
  const check = new pg.Client({ connectionString: url })
  await check.connect()
  const parts = Number((await check.query('SELECT count(*) AS n FROM relay_partitions()')).rows[0].n)
  const events = Number((await check.query('SELECT count(*) AS n FROM events')).rows[0].n)
  await check.end()
  console.log(`applied ${r.applied.join(', ')} in ${seconds.toFixed(1)} s: ${Math.round(rows / seconds)} rows/s, ${events} events now in ${parts} partitions (load ${load1()})`)
} finally {
  await rm(before, { recursive: true, force: true })
  const admin = new pg.Client({ connectionString: `${TEST_DATABASE_HOST}/postgres` })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`)
  await admin.end()
}
