// Record task: outcomes committed in a batch, then their effects (retry set, ack), and
// an outcome whose claim was taken over meanwhile writes nothing but is still acked.
import pino from 'pino'
import t from 'tap'
import { Status } from '../../src/delivery/status.ts'
import { claim, type AttemptRecord, type Claim } from '../../src/delivery/transitions.ts'
import { listAttempts } from '../../src/store/deliveries.ts'
import { Recorder } from '../../src/worker/record.ts'
import { taskFixture } from './fixture.ts'

const f = await taskFixture('record_task')
t.teardown(() => f.close())
const { db, redis, keys } = f.relay.services
const metrics = f.relay.metrics
const recorder = new Recorder({ db, redis, keys, metrics, traffic: f.relay.traffic, log: pino({ level: 'silent' }) })
const opts = (worker: string) => ({ worker, defaultTimeoutMs: 15_000, maxTimeoutMs: 60_000, leaseMarginMs: 1_000 })
const attempt = (c: Claim): AttemptRecord => ({
  deliveryId: c.id, number: c.attempt_seq, startedAt: Date.now(), durationMs: 3, outcome: 'retry',
  requestUrl: 'http://127.0.0.1:9/x', requestMethod: 'POST', requestHeaders: {}, requestBody: null, requestBodyIsEvent: true, responseStatus: 503, responseHeaders: {}, responseBody: null, error: 'HTTP 503',
})
const retryAt = (ms: number) => ({ status: Status.retrying, nextAttemptAt: ms, lastError: 'HTTP 503', deadReason: null, disableSubscription: null })
const labels = { source: 'record-task', action: 'http-relay' }
const stale = async () => (await metrics.staleWrites.get()).values.find((v) => v.labels.transition === 'record')?.value ?? 0

t.test('a retry is committed, then scheduled, then its entry acked', async (t) => {
  const id = await f.delivery()
  const [entry] = await f.entries([id], 'test-worker')
  const [c] = (await claim(db, [id], opts('test-worker'))).claimed
  const due = Date.now() + 60_000
  recorder.add({ claim: c!, attempt: attempt(c!), decision: retryAt(due), entryId: entry!.id, labels, receivedAt: Date.now() })
  await recorder.drain()
  const [row] = await f.env.query<{ status: string; last_error: string }>('SELECT status, last_error FROM deliveries WHERE id = $1', [id])
  t.match(row, { status: Status.retrying, last_error: 'HTTP 503' })
  t.equal(Number(await redis.zscore(keys.retries, id)), due)
  t.equal(await f.pending(), 0, 'acked after the commit')
  const [stored] = await f.env.query<{ request_body: Buffer | null; request_body_is_event: boolean }>('SELECT request_body, request_body_is_event FROM delivery_attempts WHERE delivery_id = $1', [id])
  t.match(stored, { request_body: null, request_body_is_event: true }, 'the event’s body is not copied into the attempt')
  const [read] = await listAttempts(db, id)
  t.equal(read!.request_body?.toString(), '{"n":1}', 'reading the attempt gives the body that was sent')
})

t.test('a stale outcome: nothing written, nothing scheduled, counted, acked', async (t) => {
  const id = await f.delivery()
  const [entry] = await f.entries([id], 'test-worker')
  const [old] = (await claim(db, [id], opts('dead-worker'))).claimed
  await claim(db, [id], { ...opts('test-worker'), takeOverFrom: ['dead-worker'] })
  const before = await stale()
  recorder.add({ claim: old!, attempt: attempt(old!), decision: retryAt(Date.now() + 60_000), entryId: entry!.id, labels, receivedAt: Date.now() })
  await recorder.drain()
  const [row] = await f.env.query<{ status: string; claimed_by: string }>('SELECT status, claimed_by FROM deliveries WHERE id = $1', [id])
  t.match(row, { status: Status.delivering, claimed_by: 'test-worker' }, 'the new claim is untouched')
  t.equal(await redis.zscore(keys.retries, id), null, 'no retry scheduled')
  t.equal(await stale(), before + 1, 'delivery_stale_writes_total{transition="record"} counted it')
  t.equal(await f.pending(), 0, 'its entry is acked: the new claim runs on its own entry')
})
