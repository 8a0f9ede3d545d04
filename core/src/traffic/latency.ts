/**
 * Attempt latency as counts per bucket, the form the traffic rollup stores: counts add
 * up across minutes, workers and subscriptions, and a quantile comes out of the sum (as
 * Prometheus' histogram_quantile does), so a p95 over a day costs one sum, not a sort
 * of every attempt.
 */

/** Upper bounds in ms; one more bucket holds everything slower than the last. */
export const LATENCY_BOUNDS_MS: readonly number[] = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000]
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1

export function emptyLatency(): number[] {
  return new Array<number>(LATENCY_BUCKETS).fill(0)
}

/** The bucket an attempt of `ms` falls in: the first whose bound it does not exceed. */
export function bucketOf(ms: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((b) => ms <= b)
  return i === -1 ? LATENCY_BOUNDS_MS.length : i
}

export function addLatency(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < LATENCY_BUCKETS; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0)
  return into
}

/**
 * The q-quantile (0 < q < 1), interpolated linearly inside its bucket; null without
 * samples. In the open last bucket it is the last bound: "at least 30 s", never a guess.
 */
export function latencyQuantile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = q * total
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0
    if (n > 0 && seen + n >= rank) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!
      const upper = LATENCY_BOUNDS_MS[i]!
      return lower + ((upper - lower) * (rank - seen)) / n
    }
    seen += n
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!
}
