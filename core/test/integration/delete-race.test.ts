// Deleting a subscription or a source while a worker records an attempt of one of its
// deliveries leaves nothing behind: the record (an attempt, a dead letter) that commits
// while the delete waits for the delivery row is deleted with it. One statement used to
// miss them (its snapshot predated them): rows of a delivery that no longer existed,
// still counted by the overview's dead-letter depth.
import pg from 'pg'
import t from 'tap'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('delete_race')
t.teardown(() => env.close())
const relay = await env.start('all')
const sub = await startSubscriber(() => ({ status: 400, body: 'no' }))
t.teardown(() => sub.close())

/** A delivery that went dead (400), its dead letter removed, so the test can add one as a racing record would. */
async function deadDelivery(slug: string) {
  const source = (await relay.api('/api/v1/sources', { body: { name: slug, slug } })).body
  const subscription = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/${slug}` } } })).body
  await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  const [d] = await eventually(async () => {
    const rows = await env.query<{ id: string }>("SELECT id FROM deliveries WHERE subscription_id = $1 AND status = 'dead'", [subscription.id])
    return rows.length ? rows : null
  }, 'a dead delivery')
  await env.query('DELETE FROM dead_letters WHERE delivery_id = $1', [d!.id])
  return { sourceId: source.id as string, subscriptionId: subscription.id as string, deliveryId: d!.id }
}

/** Holds the delivery row as a worker's record does, runs `remove`, then commits a dead letter and an attempt while `remove` waits. */
async function race(deliveryId: string, remove: () => Promise<{ status: number }>) {
  const worker = new pg.Client({ connectionString: env.databaseUrl })
  await worker.connect()
  try {
    await worker.query('BEGIN')
    await worker.query('UPDATE deliveries SET updated_at = now() WHERE id = $1', [deliveryId])
    const removing = remove()
    await new Promise((r) => setTimeout(r, 300)) // the delete is now waiting for the row
    await worker.query("INSERT INTO dead_letters (delivery_id, reason, last_error) VALUES ($1, 'permanent', 'recorded during the delete')", [deliveryId])
    await worker.query(`INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, outcome)
      SELECT delivery_id, number + 1, started_at, duration_ms, outcome FROM delivery_attempts WHERE delivery_id = $1 ORDER BY number DESC LIMIT 1`, [deliveryId])
    await worker.query('COMMIT')
    return await removing
  } finally {
    await worker.end()
  }
}

async function leftOf(deliveryId: string) {
  const [r] = await env.query<{ deliveries: number; attempts: number; dead_letters: number }>(`SELECT
    (SELECT count(*) FROM deliveries WHERE id = $1)::int AS deliveries,
    (SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1)::int AS attempts,
    (SELECT count(*) FROM dead_letters WHERE delivery_id = $1)::int AS dead_letters`, [deliveryId])
  return r
}

t.test('deleting a subscription during a record', async (t) => {
  const d = await deadDelivery('race-sub')
  const res = await race(d.deliveryId, () => relay.api(`/api/v1/subscriptions/${d.subscriptionId}`, { method: 'DELETE' }))
  t.equal(res.status, 204)
  t.same(await leftOf(d.deliveryId), { deliveries: 0, attempts: 0, dead_letters: 0 })
})

t.test('deleting a source during a record', async (t) => {
  const d = await deadDelivery('race-src')
  const res = await race(d.deliveryId, () => relay.api(`/api/v1/sources/${d.sourceId}`, { method: 'DELETE' }))
  t.equal(res.status, 204)
  t.same(await leftOf(d.deliveryId), { deliveries: 0, attempts: 0, dead_letters: 0 })
})
