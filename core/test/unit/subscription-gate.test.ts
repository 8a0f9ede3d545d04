// The per-subscription gate: cap, waiting, fair share between busy subscriptions, deferral pace.
import t from 'tap'
import { SubscriptionGate } from '../../src/worker/subscription-gate.ts'

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
  t.same([...ran.values()], [4, 4, 4], 'each gets its share of 12, not 64')
  t.equal(g.running, 12)
  t.equal(g.admit('fast').kind, 'run', 'a new subscription still gets a slot')
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
