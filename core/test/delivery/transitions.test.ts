// The delivery state machine on real PostgreSQL, one transition at a time, without a
// worker: fencing (a stale claim's writes change nothing), claims that honour
// next_attempt_at, takeover of a dead worker's claims, pause and resume with the
// subscription, and the guards of a person's actions.
import t from 'tap'
import { Status } from '../../src/delivery/status.ts'
import {
  claim,
  createFanout,
  defer,
  record,
  renewLease,
  replayDead,
  resumeStrayPaused,
  resumeSubscription,
  retryNow,
  type AttemptRecord,
  type Claim,
  type ClaimOptions,
  type Decision,
} from '../../src/delivery/transitions.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('transitions')
t.teardown(() => env.close())
const relay = await env.start('api')
const db = relay.services.db

const source = (await relay.api('/api/v1/sources', { body: { name: 'tr', slug: 'tr' } })).body
const subscription = (await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: 'http://127.0.0.1:9/x', timeoutMs: 3000 } } })).body

/** A fresh pending delivery: an event ingested (no worker runs here), then fanned out by hand. */
async function pendingDelivery(): Promise<string> {
  const res = await fetch(`${relay.url}/in/tr`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  const { eventId } = (await res.json()) as { eventId: string }
  const [d] = (await createFanout(db, [eventId])).deliveries
  return d!.id
}
const opts = (worker: string, extra: Partial<ClaimOptions> = {}): ClaimOptions => ({ worker, defaultTimeoutMs: 15_000, maxTimeoutMs: 60_000, leaseMarginMs: 1_000, ...extra })
const row = async (id: string) =>
  (await env.query<{ status: string; attempt_count: number; attempt_seq: number; claim_token: number; claimed_by: string | null; next_attempt_at: Date; lease_until: Date | null }>(
    'SELECT status, attempt_count, attempt_seq, claim_token, claimed_by, next_attempt_at, lease_until FROM deliveries WHERE id = $1',
    [id],
  ))[0]!
const attempt = (c: Claim, outcome: AttemptRecord['outcome'] = 'ok'): AttemptRecord => ({
  deliveryId: c.id, number: c.attempt_seq, startedAt: Date.now(), durationMs: 5, outcome,
  requestUrl: null, requestMethod: null, requestHeaders: null, requestBody: null, requestBodyIsEvent: false, responseStatus: 200, responseHeaders: null, responseBody: null, error: null,
})
const decision = (status: Decision['status'], extra: Partial<Decision> = {}): Decision => ({ status, nextAttemptAt: null, lastError: null, deadReason: null, disableSubscription: null, ...extra })
const outcome = (c: Claim, d: Decision, a: AttemptRecord['outcome'] = 'ok') => ({ claim: c, attempt: attempt(c, a), decision: d })

t.test('fan-out creates time-ordered (UUIDv7) ids like the rest of the store', async (t) => {
  const id = await pendingDelivery()
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  const ms = parseInt(id.replaceAll('-', '').slice(0, 12), 16)
  t.ok(Math.abs(ms - Date.now()) < 60_000, 'its time prefix is now')
})

t.test('a claim carries a fencing token, and a lease from the subscription’s own timeout', async (t) => {
  const id = await pendingDelivery()
  const { claimed } = await claim(db, [id], opts('worker-a'))
  t.equal(claimed.length, 1)
  t.match(claimed[0], { id, attempt_count: 1, attempt_seq: 1, claim_token: 1, timeout_ms: 3000 })
  const r = await row(id)
  t.equal(r.claimed_by, 'worker-a')
  const leaseMs = r.lease_until!.getTime() - Date.now()
  t.ok(leaseMs > 5_000 && leaseMs <= 7_100, `lease is 2 × 3 s + 1 s margin (${leaseMs} ms left), not the 60 s maximum`)
  t.same((await claim(db, [id], opts('worker-b'))).claimed, [], 'a live claim cannot be claimed again')
})

t.test('a stale worker’s record and defer change nothing once its claim was taken over', async (t) => {
  const id = await pendingDelivery()
  const [a] = (await claim(db, [id], opts('worker-a'))).claimed
  await env.query("UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE id = $1", [id])
  const [b] = (await claim(db, [id], opts('worker-b'))).claimed
  t.equal(b!.claim_token, a!.claim_token + 1, 'the new claim has a newer token')

  const stale = await record(db, [outcome(a!, decision(Status.dead, { deadReason: 'permanent', lastError: 'late' }), 'fail')])
  t.same(stale.stale, [id], 'the stale outcome is reported')
  t.equal(stale.applied.size, 0)
  let r = await row(id)
  t.equal(r.status, Status.delivering, 'still delivering under the new claim')
  t.equal(r.claimed_by, 'worker-b')
  t.same(await env.query('SELECT 1 FROM dead_letters WHERE delivery_id = $1', [id]), [], 'no dead letter from the stale write')
  t.same(await env.query('SELECT number FROM delivery_attempts WHERE delivery_id = $1', [id]), [], 'no attempt from the stale write')
  t.equal((await defer(db, [{ claim: a!, atMs: Date.now() + 60_000 }])).size, 0, 'a stale defer is refused too')

  const fresh = await record(db, [outcome(b!, decision(Status.succeeded))])
  t.equal(fresh.applied.get(id), Status.succeeded, 'the holder of the claim records')
  r = await row(id)
  t.equal(r.status, Status.succeeded)
  t.same((await env.query<{ number: number }>('SELECT number FROM delivery_attempts WHERE delivery_id = $1', [id])).map((x) => x.number), [2])
})

t.test('a claim of a delivery that is not due yet sends nothing and says when it is due', async (t) => {
  const id = await pendingDelivery()
  const [c] = (await claim(db, [id], opts('worker-a'))).claimed
  const due = Date.now() + 30_000
  await record(db, [outcome(c!, decision(Status.retrying, { nextAttemptAt: due, lastError: 'HTTP 503' }), 'retry')])
  const again = await claim(db, [id], opts('worker-b'))
  t.same(again.claimed, [], 'a duplicate entry does not start the retry early')
  t.equal(again.notDue.length, 1)
  t.ok(Math.abs(again.notDue[0]!.atMs - due) < 5, 'due at the time the retry was scheduled for')
  const r = await row(id)
  t.match(r, { status: Status.retrying, attempt_count: 1 }, 'no attempt counted')
})

t.test('a dead worker’s claims are taken over at once when it is named; a live one’s are not', async (t) => {
  const id = await pendingDelivery()
  await claim(db, [id], opts('worker-a'))
  t.same((await claim(db, [id], opts('worker-b', { takeOverFrom: ['worker-c'] }))).claimed, [], 'naming another worker takes nothing')
  const { claimed } = await claim(db, [id], opts('worker-b', { takeOverFrom: ['worker-a'] }))
  t.equal(claimed.length, 1, 'taken over before the lease ends')
  t.equal((await row(id)).claimed_by, 'worker-b')
})

t.test('a disabled subscription: claims pause its work, retries it asks for pause, enabling resumes', async (t) => {
  const inFlight = await pendingDelivery()
  const waiting = await pendingDelivery()
  const [c] = (await claim(db, [inFlight], opts('worker-a'))).claimed
  t.equal((await relay.api(`/api/v1/subscriptions/${subscription.id}`, { method: 'PATCH', body: { enabled: false } })).status, 200)
  t.equal((await row(waiting)).status, Status.paused, 'disabling paused the waiting delivery at once')
  const r = await record(db, [outcome(c!, decision(Status.retrying, { nextAttemptAt: Date.now(), lastError: 'HTTP 503' }), 'retry')])
  t.equal(r.applied.get(inFlight), Status.paused, 'the in-flight attempt’s retry is paused, not scheduled')
  await env.query('UPDATE deliveries SET status = $2 WHERE id = $1', [waiting, Status.pending])
  const later = await claim(db, [waiting], opts('worker-a'))
  t.same(later.paused, [waiting], 'a claim that finds the subscription disabled pauses instead of sending')
  t.notOk(await retryNow(db, waiting), 'retry now is refused while the subscription is disabled')

  t.equal((await relay.api(`/api/v1/subscriptions/${subscription.id}`, { method: 'PATCH', body: { enabled: true } })).status, 200)
  t.match(await row(inFlight), { status: Status.retrying, attempt_count: 1 }, 'resumed with its retry budget kept')
  t.equal((await row(waiting)).status, Status.pending, 'one that never ran resumes as pending')
  t.same(await resumeSubscription(db, subscription.id), [], 'nothing left paused')
})

t.test('retry now and replay follow their guards', async (t) => {
  const id = await pendingDelivery()
  const [c] = (await claim(db, [id], opts('worker-a'))).claimed
  t.notOk(await retryNow(db, id), 'not while in flight')
  await record(db, [outcome(c!, decision(Status.dead, { deadReason: 'permanent', lastError: 'HTTP 400' }), 'fail')])
  t.equal((await env.query('SELECT 1 FROM dead_letters WHERE delivery_id = $1', [id])).length, 1, 'dead letter written with the status')
  t.ok(await retryNow(db, id))
  t.match(await row(id), { status: Status.retrying, attempt_count: 0 }, 'a dead delivery starts a fresh attempt count')
  t.same(await env.query('SELECT 1 FROM dead_letters WHERE delivery_id = $1', [id]), [], 'and leaves the dead-letter queue')
  t.same(await replayDead(db, [id]), [], 'replay applies to dead deliveries only')
})

t.test('a lease is renewed only by the holder of the claim', async (t) => {
  const id = await pendingDelivery()
  const [a] = (await claim(db, [id], opts('worker-a'))).claimed
  await env.query("UPDATE deliveries SET lease_until = now() - interval '1 second' WHERE id = $1", [id])
  const [b] = (await claim(db, [id], opts('worker-b'))).claimed
  t.notOk(await renewLease(db, a!, 60_000), 'the taken-over claim cannot renew')
  t.ok(await renewLease(db, b!, 60_000))
  t.ok((await row(id)).lease_until!.getTime() - Date.now() > 55_000, 'the lease now runs a minute')
})

t.test('a paused delivery under an enabled subscription is resumed by the reconciler’s sweep', async (t) => {
  const id = await pendingDelivery()
  // What a claim that read the switch just before it was flipped back leaves behind.
  await env.query('UPDATE deliveries SET status = $2 WHERE id = $1', [id, Status.paused])
  t.same(await resumeStrayPaused(db, 100), [id])
  t.equal((await row(id)).status, Status.pending)
  t.same(await resumeStrayPaused(db, 100), [], 'nothing left to resume')
})
