/**
 * Retry policy as data: a schedule of delays (one per retry), jitter, a floor, and a
 * clamp for the receiver's Retry-After. Attempts allowed = schedule length + 1.
 */
export interface RetryPolicy {
  readonly scheduleMs: readonly number[]
  /** Fraction of each delay randomised either way (0.2: ±20%), so retries from one outage spread out. */
  readonly jitter: number
  readonly retryAfterMaxMs: number
  readonly minDelayMs: number
}

export const maxAttempts = (p: RetryPolicy): number => p.scheduleMs.length + 1

/**
 * Delay before the next attempt after `attempt` (1-based) asked to retry, or null when
 * the schedule is exhausted. A Retry-After from the receiver replaces the schedule's
 * delay for that step, clamped to [minDelayMs, retryAfterMaxMs].
 */
export function nextDelayMs(p: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number | null {
  if (attempt > p.scheduleMs.length) return null
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
    return Math.round(Math.min(Math.max(retryAfterMs, p.minDelayMs), p.retryAfterMaxMs))
  }
  const base = p.scheduleMs[attempt - 1]!
  const jittered = base * (1 + p.jitter * (2 * random() - 1))
  return Math.round(Math.max(jittered, p.minDelayMs))
}
