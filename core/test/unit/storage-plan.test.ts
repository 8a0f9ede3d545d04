// planStorage: which partitions to add and retire, from the existing ones and the clock.
import t from 'tap'
import { storagePolicy } from '../../src/config/config.ts'
import { planStorage } from '../../src/worker/retention.ts'

const MIN = 60_000
const policy = { retentionMs: 60 * MIN, partitionIntervalMs: 10 * MIN }
const p = (lowerMin: number, upperMin: number) => ({ suffix: `p${lowerMin}`, lower_at: lowerMin * MIN, upper_at: upperMin * MIN })
const ranges = (plan: ReturnType<typeof planStorage>) => plan.add.map((r) => [r.lowerAt / MIN, r.upperAt / MIN])

t.test('a fresh database: the first starts just ahead of the clock (never over rows being inserted), then on boundaries', async (t) => {
  const plan = planStorage([], 1003 * MIN, policy)
  t.same(ranges(plan), [[1003.5, 1010], [1010, 1020]])
  t.same(plan.retire, [])
})

t.test('partitions already ahead: nothing to add until the next one is due', async (t) => {
  t.same(ranges(planStorage([p(1000, 1010), p(1010, 1020)], 1003 * MIN, policy)), [])
  t.same(ranges(planStorage([p(1000, 1010), p(1010, 1020)], 1011 * MIN, policy)), [[1020, 1030]])
})

t.test('after a gap the next starts just ahead of the clock; the gap’s rows stay in DEFAULT', async (t) => {
  t.same(ranges(planStorage([p(1000, 1010)], 1234 * MIN, policy)), [[1234.5, 1240], [1240, 1250]])
  t.same(ranges(planStorage([p(1000, 1010)], 1009.8 * MIN, policy)), [[1010, 1020], [1020, 1030]], 'a late run while the last still reaches past the clock continues it: no gap')
  t.same(ranges(planStorage([p(1000, 1010)], 1010 * MIN, policy)), [[1010.5, 1020], [1020, 1030]], 'once the clock has passed it, a gap')
})

t.test('a range that ends off a boundary (the migration ends at its own moment) is continued', async (t) => {
  const odd = { suffix: 'odd', lower_at: 990 * MIN, upper_at: 1003.5 * MIN }
  t.same(ranges(planStorage([odd, p(1003.5, 1010)], 1003.2 * MIN, policy)), [[1010, 1020]])
})

t.test('short intervals: enough partitions ahead that the next tick finds no gap', async (t) => {
  const short = { retentionMs: 2 * MIN, partitionIntervalMs: 10_000 }
  const first = planStorage([], 0, short)
  t.equal(first.add[0]!.lowerAt, 30_000)
  const made = first.add.map((r, i) => ({ suffix: `s${i}`, lower_at: r.lowerAt, upper_at: r.upperAt }))
  t.ok(made.at(-1)!.upper_at >= 30_000 + 2_500, 'covers past the margin at the next tick')
  for (let now = 2_500; now <= 60_000; now += 2_500) {
    const next = planStorage(made, now, short)
    if (next.add.length) t.equal(next.add[0]!.lowerAt, made.at(-1)!.upper_at, `at ${now} ms: continues where the last one ended`)
    for (const r of next.add) made.push({ suffix: `s${made.length}`, lower_at: r.lowerAt, upper_at: r.upperAt })
  }
  for (let i = 1; i < made.length; i++) t.equal(made[i]!.lower_at, made[i - 1]!.upper_at, 'no gap over a minute of ticks')
})

t.test('partitions whose whole range is older than the retention are retired, oldest first', async (t) => {
  const existing = [p(900, 910), p(910, 920), p(920, 930), p(930, 940)]
  t.same(planStorage(existing, 980 * MIN, policy).retire, ['p900', 'p910'])
  t.same(planStorage(existing, 979 * MIN, policy).retire, ['p900'], 'one that ends inside the retention stays')
  t.same(planStorage(existing, 980 * MIN, { ...policy, retentionMs: 0 }).retire, [], 'retention 0 keeps everything')
})

t.test('RELAY_RETENTION and RELAY_PARTITION_INTERVAL', async (t) => {
  t.same(storagePolicy('7d', undefined), { retentionMs: 7 * 86_400_000, partitionIntervalMs: 86_400_000 })
  t.same(storagePolicy('2m', undefined), { retentionMs: 2 * MIN, partitionIntervalMs: 30_000 }, 'short retention: a quarter of it')
  t.same(storagePolicy('0', undefined), { retentionMs: 0, partitionIntervalMs: 86_400_000 })
  t.same(storagePolicy('12h', '1h'), { retentionMs: 12 * 60 * MIN, partitionIntervalMs: 60 * MIN })
  t.throws(() => storagePolicy('5s', undefined), /minimum/)
  t.throws(() => storagePolicy('1d', '1s'), /at least 10s/)
  t.throws(() => storagePolicy('a week', undefined), /not a duration/)
})
