// Claim task: a batch of entries to the claims this worker may run now, with every
// other entry settled (acked, or its delivery put back in the retry set).
import t from 'tap'
import { Status } from '../../src/delivery/status.ts'
import { claim } from '../../src/delivery/transitions.ts'
import { ClaimTask } from '../../src/worker/claim.ts'
import { SubscriptionGate } from '../../src/worker/subscription-gate.ts'
import { taskFixture } from './fixture.ts'

const f = await taskFixture('claim_task')
t.teardown(() => f.close())
const { db, redis, keys } = f.relay.services
const task = (gate = new SubscriptionGate(64, 128)) =>
  new ClaimTask({ db, redis, keys, metrics: f.relay.metrics, log: f.relay.log, gate, worker: 'test-worker', defaultTimeoutMs: 15_000, maxTimeoutMs: 60_000 })

t.test('duplicates and junk in one batch: one claim, every other entry acked', async (t) => {
  const id = await f.delivery()
  const entries = await f.entries([id, id, 'not-a-uuid'])
  const claimed = await task().claim(entries)
  t.equal(claimed.length, 1)
  t.equal(claimed[0]!.entryId, entries[0]!.id, 'it runs with its first entry')
  t.equal(await f.pending(), 1, 'only the running entry stays pending')
})

t.test('each claim carries its event, read by the claim statement itself', async (t) => {
  const ids = [await f.delivery(), await f.delivery()]
  const claimed = await task().claim(await f.entries(ids))
  t.equal(claimed.length, 2)
  for (const c of claimed) {
    const [stored] = await f.env.query<{ body: Buffer; source_id: string }>('SELECT body, source_id FROM events WHERE id = $1', [c.claim.event_id])
    t.equal(c.claim.event?.id, c.claim.event_id)
    t.ok(c.claim.event?.body.equals(stored!.body), 'with its body, byte for byte')
    t.equal(c.claim.event?.source_id, stored!.source_id)
    t.type(c.claim.event?.source_slug, 'string')
  }
})

t.test('an entry whose delivery is not due goes back to the retry set at its time, unclaimed', async (t) => {
  const id = await f.delivery()
  const due = Date.now() + 30_000
  await f.env.query('UPDATE deliveries SET status = $2, next_attempt_at = to_timestamp($3 / 1000.0) WHERE id = $1', [id, Status.retrying, due])
  const before = await f.pending()
  t.same(await task().claim(await f.entries([id])), [])
  t.equal(await f.pending(), before, 'its entry was acked')
  t.ok(Math.abs(Number(await redis.zscore(keys.retries, id)) - due) < 5, 'due in the retry set at its own time')
})

t.test('an entry of finished or leased work claims nothing and is acked', async (t) => {
  const id = await f.delivery()
  await claim(db, [id], { worker: 'other-worker', defaultTimeoutMs: 15_000, maxTimeoutMs: 60_000, leaseMarginMs: 1_000 })
  const before = await f.pending()
  t.same(await task().claim(await f.entries([id])), [])
  t.equal(await f.pending(), before)
})

t.test('the gate defers what it has no slot for: claim undone, due later, entry acked', async (t) => {
  const gate = new SubscriptionGate(1, 4)
  const ids = [await f.delivery(), await f.delivery(), await f.delivery()]
  const c = task(gate)
  const before = await f.pending()
  const admitted = await c.admit(await c.claim(await f.entries(ids)))
  t.equal(admitted.length, 2, 'one runs, one waits for the slot')
  const [deferred] = ids.filter((id) => !admitted.some((a) => a.claim.id === id))
  const [row] = await f.env.query<{ status: string; attempt_count: number }>('SELECT status, attempt_count FROM deliveries WHERE id = $1', [deferred])
  t.match(row, { status: Status.pending, attempt_count: 0 }, 'no attempt counted')
  t.ok(Number(await redis.zscore(keys.retries, deferred!)) > Date.now(), 'due again a little later')
  t.equal(await f.pending(), before + 2, 'the deferred entry was acked')
})
