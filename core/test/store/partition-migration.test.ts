// sql/0015 on an install with data: every row is copied into the partitioned tables,
// deliveries get ids with their event's time (attempts and dead letters follow), keys
// keep deduplicating, and unfinished work made before the migration is still delivered.
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts'
import { createSecretBox } from '../../src/secrets/secret-box.ts'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv, DLQ } from '../env.ts'

const env = await createCoreTestEnv('partition_migration', { RELAY_PLUGINS: DLQ })
t.teardown(() => env.close())
const sub = await startSubscriber()
t.teardown(() => sub.close())

// The schema as it was before 0015.
const before = await mkdtemp(join(tmpdir(), 'relay-sql-'))
t.teardown(() => rm(before, { recursive: true, force: true }))
for (const f of await readdir(MIGRATIONS_DIR)) if (/^00(0\d|1[0-4])_/.test(f)) await cp(join(MIGRATIONS_DIR, f), join(before, f))
await migrate(env.databaseUrl, `${before}/`)

const HOUR = 3_600_000
const v7At = (ms: number, tail: string) => {
  const hex = ms.toString(16).padStart(12, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7${tail.slice(0, 3)}-8${tail.slice(3, 6)}-${tail.slice(6, 18).padEnd(12, '0')}`
}
const SOURCE = v7At(Date.now() - 100 * HOUR, 'a00000000000000001')
const SUB = v7At(Date.now() - 100 * HOUR, 'a00000000000000002')
const DONE = v7At(Date.now() - 50 * HOUR, 'b00000000000000001')
const RETRYING = v7At(Date.now() - 2 * HOUR, 'b00000000000000002')
const DEAD = v7At(Date.now() - 30 * HOUR, 'b00000000000000003')
const V4_EVENT = '3f2504e0-4f89-41d3-9a0c-0305e82c3301'
// Deliveries from before 0012 had random v4 ids.
const D = {
  done: 'a1111111-1111-4111-8111-111111111111',
  retrying: 'a2222222-2222-4222-8222-222222222222',
  dead: 'a3333333-3333-4333-8333-333333333333',
  v4: 'a4444444-4444-4444-8444-444444444444',
}

await env.query(`INSERT INTO sources (id, name, slug) VALUES ($1, 'Legacy', 'legacy')`, [SOURCE])
const box = createSecretBox(Buffer.from(env.env.RELAY_ENCRYPTION_KEY!, 'base64'))
const signingSecrets = [{ secret: box.seal('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), createdAt: new Date().toISOString(), expiresAt: null }]
await env.query(`INSERT INTO subscriptions (id, source_id, action, config, signing_secrets) VALUES ($1, $2, 'http-relay', $3, $4)`,
  [SUB, SOURCE, { url: `${sub.url}/legacy` }, JSON.stringify(signingSecrets)])
for (const [id, key, hoursAgo] of [[DONE, 'k-done', 50], [RETRYING, 'k-retrying', 2], [DEAD, 'k-dead', 30], [V4_EVENT, 'k-v4', 10]] as const) {
  await env.query(`INSERT INTO events (id, source_id, received_at, content_type, headers, body, idempotency_key, fanout_status)
    VALUES ($1, $2, now() - make_interval(hours => $4), 'application/json', '{"x-test":"1"}', convert_to('{"legacy":true}', 'UTF8'), $3, 'done')`, [id, SOURCE, key, hoursAgo])
}
const delivery = (id: string, eventId: string, status: string, extra = '') =>
  env.query(`INSERT INTO deliveries (id, event_id, subscription_id, webhook_id, status, attempt_count, attempt_seq, next_attempt_at${extra ? ', dead_reason' : ''})
    VALUES ($1, $2, $3, $4, $5, 1, 1, now() - interval '1 minute'${extra ? `, '${extra}'` : ''})`, [id, eventId, SUB, `msg_${id.replaceAll('-', '')}`, status])
await delivery(D.done, DONE, 'succeeded')
await delivery(D.retrying, RETRYING, 'retrying')
await delivery(D.dead, DEAD, 'dead', 'exhausted')
await delivery(D.v4, V4_EVENT, 'succeeded')
for (const id of Object.values(D)) {
  await env.query(`INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, outcome, request_body) VALUES ($1, 1, now(), 5, 'ok', 'body')`, [id])
}
await env.query(`INSERT INTO dead_letters (delivery_id, reason, last_error) VALUES ($1, 'exhausted', 'HTTP 500')`, [D.dead])

// Now the rest of the migrations, as a relay booting the new version does.
const relay = await env.start('all')

t.test('every row is there, in the partitioned tables', async (t) => {
  const kinds = await env.query<{ relname: string; relkind: string }>(
    `SELECT relname, relkind FROM pg_class WHERE relname IN ('events', 'deliveries', 'delivery_attempts', 'dead_letters') ORDER BY relname`)
  t.same(kinds.map((k) => k.relkind), ['p', 'p', 'p', 'p'], 'all four are partitioned')
  t.equal((await env.query(`SELECT 1 FROM pg_class WHERE relname LIKE 'legacy_%'`)).length, 0, 'the old tables are gone')
  t.same((await env.query<{ id: string }>('SELECT id FROM events ORDER BY id')).map((r) => r.id), [V4_EVENT, DONE, DEAD, RETRYING].sort())
  const ev = (await env.query<{ body: Buffer; headers: unknown; idempotency_key: string }>('SELECT body, headers, idempotency_key FROM events WHERE id = $1', [DONE]))[0]!
  t.equal(ev.body.toString(), '{"legacy":true}', 'bodies byte for byte')
  t.same(ev.headers, { 'x-test': '1' })
  t.equal((await env.query('SELECT 1 FROM events_default WHERE id = $1', [V4_EVENT])).length, 1, 'an event whose id carries no time is kept in DEFAULT')
})

t.test('deliveries carry their event’s time; webhook ids, attempts and dead letters follow', async (t) => {
  const rows = await env.query<{ id: string; event_id: string; webhook_id: string; status: string; same_time: boolean; attempts: number; dead: number }>(`
    SELECT d.id, d.event_id, d.webhook_id, d.status, relay_uuid_time(d.id) = relay_uuid_time(d.event_id) AS same_time,
      (SELECT count(*)::int FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts,
      (SELECT count(*)::int FROM dead_letters l WHERE l.delivery_id = d.id) AS dead
    FROM deliveries d ORDER BY d.event_id`)
  t.equal(rows.length, 4)
  for (const r of rows) {
    t.ok(r.same_time, `${r.status}: id ${r.id} has its event's time`)
    t.ok(r.attempts >= 1, `${r.status}: its attempt followed`)
    t.notOk(Object.values(D).includes(r.id), 're-keyed')
  }
  const byEvent = new Map(rows.map((r) => [r.event_id, r]))
  t.equal(byEvent.get(DONE)!.webhook_id, `msg_${D.done.replaceAll('-', '')}`, 'the webhook id receivers saw is unchanged')
  t.equal(byEvent.get(DEAD)!.dead, 1, 'the dead letter followed')
  const dlq = await relay.api('/api/v1/dead-letters')
  t.equal(dlq.status, 200, 'the dead-letter API reads it')
  t.equal(dlq.body.items?.length ?? dlq.body.length, 1, 'and is listed')
})

t.test('idempotency keys from before still deduplicate', async (t) => {
  const res = await fetch(`${relay.url}/in/legacy`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'idempotency-key': 'k-done' } })
  t.equal(res.status, 200, 'a duplicate')
  t.equal(((await res.json()) as { eventId: string }).eventId, DONE, 'of the original event')
})

t.test('a delivery left retrying before the migration is delivered under its new id', async (t) => {
  await eventually(() => sub.requests.some((r) => r.path === '/legacy'), 'the legacy retry arrived', 15_000)
  await eventually(async () => (await env.query<{ status: string }>('SELECT status FROM deliveries WHERE event_id = $1', [RETRYING]))[0]!.status === 'succeeded', 'recorded as succeeded')
  const arrived = sub.requests.find((r) => r.path === '/legacy')!
  t.equal(arrived.headers['webhook-id'], `msg_${D.retrying.replaceAll('-', '')}`, 'with the webhook id it had before')
  t.equal(arrived.body.toString(), '{"legacy":true}')
})
