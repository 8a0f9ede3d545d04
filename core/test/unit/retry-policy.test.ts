// Retry policy and the decision after an attempt.
import t from 'tap'
import { maxAttempts, nextDelayMs, type RetryPolicy } from '../../src/delivery/retry-policy.ts'
import { decide } from '../../src/delivery/decide.ts'

const p: RetryPolicy = { scheduleMs: [5000, 300000, 1800000], jitter: 0.2, retryAfterMaxMs: 3600000, minDelayMs: 1000 }

t.test('schedule with jitter inside ±20%', async (t) => {
  t.equal(maxAttempts(p), 4)
  t.equal(nextDelayMs(p, 1, undefined, () => 0.5), 5000)
  t.equal(nextDelayMs(p, 1, undefined, () => 0), 4000)
  t.equal(nextDelayMs(p, 1, undefined, () => 1), 6000)
  t.equal(nextDelayMs(p, 2, undefined, () => 0.5), 300000)
  t.equal(nextDelayMs(p, 4), null, 'exhausted after the schedule')
})

t.test('Retry-After replaces the delay, clamped to [min, max]', async (t) => {
  t.equal(nextDelayMs(p, 1, 120000), 120000)
  t.equal(nextDelayMs(p, 1, 10), 1000, 'floor')
  t.equal(nextDelayMs(p, 1, 999999999), 3600000, 'clamp')
})

t.test('decisions', async (t) => {
  t.match(decide(p, 1, { outcome: 'ok' }, 0), { status: 'succeeded', lastError: null })
  t.match(decide(p, 1, { outcome: 'skip', reason: 'transform returned null' }, 0), { status: 'skipped' })
  const r = decide(p, 1, { outcome: 'retry', reason: 'HTTP 503', afterMs: 2000 }, 1000)
  t.match(r, { status: 'retrying', nextAttemptAt: 3000, lastError: 'HTTP 503' })
  t.match(decide(p, 4, { outcome: 'retry', reason: 'HTTP 503' }, 0), { status: 'dead', deadReason: 'exhausted' })
  t.match(decide(p, 1, { outcome: 'fail', reason: 'HTTP 400' }, 0), { status: 'dead', deadReason: 'permanent', disableSubscription: null })
  t.match(decide(p, 2, { outcome: 'fail', reason: 'HTTP 410 Gone', disableSubscription: true }, 0), {
    status: 'dead',
    disableSubscription: 'HTTP 410 Gone',
  })
})
