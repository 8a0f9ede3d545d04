// The per-subscription gate: cap, waiting, fair share between busy subscriptions, deferral pace.
import t from 'tap'
import { headroom, SubscriptionGate } from '../../src/worker/subscription-gate.ts'

t.test('runs up to the cap, then waits up to the cap, then defers', async (t) => {
  const g = new SubscriptionGate(2, 100)
  t.same([g.admit('a').kind, g.admit('a').kind], ['run', 'run'])
  const w = g.admit('a')
  t.equal(w.kind, 'wait')
  t.equal(g.admit('a').kind, 'wait')
  t.equal(g.admit('a').kind, 'defer')
  t.equal(g.running, 2)
  g.release('a', 10)
  await (w as { ready: Promise<void> }).ready
  t.equal(g.running, 2, 'the freed slot went to the waiting delivery')
})

t.test('fair share: busy subscriptions together cannot take every slot', async (t) => {
  const g = new SubscriptionGate(64, 12)
  // Three slow subscriptions arriving together, each far under its own cap of 64.
  const ran = new Map<string, number>()
  for (let round = 0; round < 10; round++) {
    for (const sub of ['s1', 's2', 's3']) if (g.admit(sub).kind === 'run') ran.set(sub, (ran.get(sub) ?? 0) + 1)
  }
  t.same([...ran.values()], [3, 3, 3], 'each gets its share of 12 less the headroom of 3, not 64')
  t.equal(g.running, 9)
  t.equal(g.admit('fast').kind, 'run', 'a new subscription still gets a slot')
})

t.test('backed-up subscriptions never take the headroom the reader waits for', async (t) => {
  // The reader reads only when headroom(concurrency) slots are free. However many
  // subscriptions back up, together they must leave that many free, or a fast
  // subscription's entries sit unread behind them (the load test's slow-beside-fast).
  for (const busy of [1, 2, 3, 5, 8, 20]) {
    const concurrency = 128
    const g = new SubscriptionGate(64, concurrency)
    for (let round = 0; round < 200; round++) for (let s = 0; s < busy; s++) g.admit(`slow${s}`)
    t.ok(concurrency - g.running >= headroom(concurrency), `${busy} backed-up: ${g.running} running, ${concurrency - g.running} free`)
  }
  t.equal(headroom(128), 32)
  t.equal(headroom(Number.POSITIVE_INFINITY), 0)
})

t.test('deferrals are spaced at the receiver pace', async (t) => {
  const g = new SubscriptionGate(1, 10)
  g.admit('slow')
  g.release('slow', 2000) // measured: 2 s per delivery
  g.admit('slow')
  g.admit('slow') // waits
  const now = Date.now()
  const a = g.admit('slow', now)
  const b = g.admit('slow', now)
  t.equal(a.kind, 'defer')
  const gap = (b as { afterMs: number }).afterMs - (a as { afterMs: number }).afterMs
  t.ok(gap >= 1500, `second deferral ${gap} ms after the first`)
})
