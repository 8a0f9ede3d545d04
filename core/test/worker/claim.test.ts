// Claim task: a batch of entries to the claims this worker may run now, with every
// other entry settled (acked, or its delivery put back in the retry set).
import t from 'tap'
import { Status } from '../../src/delivery/status.ts'
import { claim } from '../../src/delivery/transitions.ts'
import { ClaimTask } from '../../src/worker/claim.ts'
import { SubscriptionGate } from '../../src/worker/subscription-gate.ts'
import { LOCAL_WAIT_MS, RETURN_LEAD_MS, Throttle, type LimitOf } from '../../src/worker/throttle.ts'
import { taskFixture } from './fixture.ts'

const f = await taskFixture('claim_task')
t.teardown(() => f.close())
const { db, redis, keys } = f.relay.services
const throttled: number[] = []
const task = (gate = new SubscriptionGate(64, 128), limitOf: LimitOf = async () => null) =>
  new ClaimTask({
    db, redis, keys, metrics: f.relay.metrics, log: f.relay.log, gate, worker: 'test-worker', defaultTimeoutMs: 15_000, maxTimeoutMs: 60_000,
    throttle: new Throttle({ redis, keys, limitOf, log: f.relay.log, onThrottled: (_, __, n) => throttled.push(n) }),
  })

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
  const { admitted } = await c.admit(await c.claim(await f.entries(ids)))
  t.equal(admitted.length, 2, 'one runs, one waits for the slot')
  const [deferred] = ids.filter((id) => !admitted.some((a) => a.claim.id === id))
  const [row] = await f.env.query<{ status: string; attempt_count: number }>('SELECT status, attempt_count FROM deliveries WHERE id = $1', [deferred])
  t.match(row, { status: Status.pending, attempt_count: 0 }, 'no attempt counted')
  t.ok(Number(await redis.zscore(keys.retries, deferred!)) > Date.now(), 'due again a little later')
  t.equal(await f.pending(), before + 2, 'the deferred entry was acked')
})

t.test('a rate limit: the burst goes, the next slot is waited for here, the rest go back holding their slots', async (t) => {
  await redis.del(keys.rateBucket + f.subscriptionId)
  throttled.length = 0
  const ids = [await f.delivery(), await f.delivery(), await f.delivery(), await f.delivery(), await f.delivery()]
  const c = task(undefined, async () => ({ limit: { perSecond: 1, burst: 1 }, action: 'http-relay' }))
  const before = await f.pending()
  const at = Date.now()
  const { admitted, waiting } = await c.admit(await c.claim(await f.entries(ids)))
  t.equal(admitted.length, 1, 'one token: one goes now')
  t.equal(waiting.length, 2, `the next slots are at most ${LOCAL_WAIT_MS} ms away: they wait in the worker`)
  t.same(waiting.map((w) => Math.round((w.claim.slotAt! - at) / 1_000)), [1, 2], 'one interval apart')
  const rows = await f.env.query<{ id: string; status: string; attempt_count: number; slot: number }>(
    'SELECT id, status, attempt_count, extract(epoch FROM throttled_until) * 1000 AS slot FROM deliveries WHERE id = ANY($1) AND throttled_until IS NOT NULL ORDER BY throttled_until',
    [ids],
  )
  t.equal(rows.length, 2, 'two handed back, each holding its slot')
  for (const [k, r] of rows.entries()) {
    t.match(r, { status: Status.pending, attempt_count: 0 }, 'no attempt counted')
    t.ok(Math.abs(Number(r.slot) - (at + 3_000 + k * 1_000)) < 250, `slot ${k + 3} is ${k + 3} intervals on`)
    t.ok(Math.abs(Number(await redis.zscore(keys.retries, r.id)) - (Number(r.slot) - RETURN_LEAD_MS)) < 5, 'due back shortly before its slot')
  }
  t.same(throttled, [4], 'four were throttled, counted once')
  t.equal(await f.pending(), before + 3, 'the handed-back entries were acked; the others run or wait on theirs')

  // Claimed again long before its slot (someone pressed retry now): it carries its slot, and the row no longer does.
  const [first] = rows
  await f.env.query('UPDATE deliveries SET next_attempt_at = now() WHERE id = $1', [first!.id])
  const [again] = await c.claim(await f.entries([first!.id]))
  t.ok(Math.abs(again!.claim.slotAt! - Number(first!.slot)) < 2, 'the claim carries the slot it holds')
  const [cleared] = await f.env.query<{ throttled_until: unknown }>('SELECT throttled_until FROM deliveries WHERE id = $1', [first!.id])
  t.equal(cleared!.throttled_until, null, 'the claim took the slot off the row')
  const second = await c.admit([again!])
  t.same([second.admitted.length, second.waiting.length], [0, 0], 'its slot is still far: back it goes')
  const [kept] = await f.env.query<{ slot: number }>('SELECT extract(epoch FROM throttled_until) * 1000 AS slot FROM deliveries WHERE id = $1', [first!.id])
  t.ok(Math.abs(Number(kept!.slot) - Number(first!.slot)) < 2, 'holding the same slot: nobody overtakes it, and it overtakes nobody')
  t.same(throttled, [4], 'not counted again')
})

t.test('no limit: nothing asked of Redis, nothing throttled', async (t) => {
  throttled.length = 0
  const ids = [await f.delivery(), await f.delivery()]
  const c = task()
  const { admitted, waiting } = await c.admit(await c.claim(await f.entries(ids)))
  t.equal(admitted.length, 2)
  t.equal(waiting.length, 0)
  t.same(throttled, [])
})
