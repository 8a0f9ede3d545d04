// Latency buckets: where an attempt lands, and quantiles read back from summed counts.
import t from 'tap'
import { addLatency, bucketOf, emptyLatency, LATENCY_BOUNDS_MS, LATENCY_BUCKETS, latencyQuantile } from '../../src/traffic/latency.ts'

t.test('an attempt lands in the first bucket whose bound it does not exceed', async (t) => {
  t.equal(bucketOf(0), 0)
  t.equal(bucketOf(10), 0, 'bounds are inclusive')
  t.equal(bucketOf(10.5), 1)
  t.equal(bucketOf(999), LATENCY_BOUNDS_MS.indexOf(1000))
  t.equal(bucketOf(30_000), LATENCY_BOUNDS_MS.length - 1)
  t.equal(bucketOf(31_000), LATENCY_BUCKETS - 1, 'slower than the last bound: the open bucket')
})

t.test('quantiles interpolate inside the bucket, as histogram_quantile does', async (t) => {
  t.equal(latencyQuantile(emptyLatency(), 0.95), null, 'no samples, no number')
  const c = emptyLatency()
  const i = bucketOf(200) // (100, 250]
  c[i] = 100
  t.equal(latencyQuantile(c, 0.5), 175, 'the middle of (100, 250]')
  t.equal(latencyQuantile(c, 0.95), 242.5)
  // 90 fast, 10 slow: the p95 is among the slow ones, the median among the fast.
  const mixed = emptyLatency()
  mixed[bucketOf(20)] = 90
  mixed[bucketOf(4000)] = 10
  t.ok(latencyQuantile(mixed, 0.5)! <= 25)
  const p95 = latencyQuantile(mixed, 0.95)!
  t.ok(p95 > 2500 && p95 <= 5000, `p95 ${p95}`)
  const open = emptyLatency()
  open[LATENCY_BUCKETS - 1] = 5
  t.equal(latencyQuantile(open, 0.95), 30_000, 'in the open bucket: the last bound, not a guess')
})

t.test('counts add bucket by bucket', async (t) => {
  const a = emptyLatency()
  a[0] = 1
  const b = emptyLatency()
  b[0] = 2
  b[3] = 4
  t.same(addLatency(a, b).slice(0, 4), [3, 0, 0, 4])
})
