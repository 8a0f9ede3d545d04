/**
 * Rate limits: what a limit is, its bounds, and which one applies to a subscription. One
 * module for the API, the UI form, the plugin manifest check and the worker, so a limit
 * means the same everywhere (docs/delivery-control.md).
 *
 * A limit is a token bucket: `burst` tokens at most, refilled at `perSecond`. In any
 * window of W seconds a subscription's deliveries start at most burst + perSecond × W
 * times (with the default burst of 1: at most perSecond + 1 in any one second). The
 * bucket is shared by every worker (worker/throttle.ts, redis/rate-take.lua).
 */
import Type from 'typebox'
import { SettingError } from '../setting-error.ts'

export interface RateLimit {
  readonly perSecond: number
  readonly burst: number
}

/** Where a subscription's limit comes from: its own setting, or its action's default. */
export interface EffectiveRateLimit extends RateLimit {
  readonly from: 'subscription' | 'action'
}

/** One delivery every ~17 minutes at the slowest; above the top a limit protects nothing a worker could send. */
export const RATE_MIN_PER_SECOND = 0.001
export const RATE_MAX_PER_SECOND = 10_000
export const BURST_MAX = 10_000
/** Burst when none is given: deliveries spaced evenly, never two at once. */
export const DEFAULT_BURST = 1

/** The API's and the manifest's shape; checkedRateLimit adds the bounds' wording and the default burst. */
export const RateLimitSchema = Type.Object(
  {
    perSecond: Type.Number({ minimum: RATE_MIN_PER_SECOND, maximum: RATE_MAX_PER_SECOND, description: 'deliveries per second, refilled continuously (0.5: one every two seconds)' }),
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: BURST_MAX, description: `deliveries that may start at once after a quiet spell (default ${DEFAULT_BURST})` })),
  },
  { additionalProperties: false },
)

export class RateLimitError extends SettingError {
  readonly code = 'RELAY_ERR_INVALID_RATE_LIMIT'
  override name = 'RateLimitError'
}

/** A limit as given (API body, form, manifest), checked; null or undefined: none. Throws RateLimitError naming the field. */
export function checkedRateLimit(value: unknown, where = 'rateLimit'): RateLimit | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'object' || Array.isArray(value)) throw new RateLimitError(where, 'a limit is an object { "perSecond": n, "burst": n }')
  const { perSecond, burst = DEFAULT_BURST, ...rest } = value as Record<string, unknown>
  const extra = Object.keys(rest)[0]
  if (extra !== undefined) throw new RateLimitError(`${where}.${extra}`, 'unknown field; a limit has perSecond and burst')
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond < RATE_MIN_PER_SECOND || perSecond > RATE_MAX_PER_SECOND) {
    throw new RateLimitError(`${where}.perSecond`, `a number from ${RATE_MIN_PER_SECOND} to ${RATE_MAX_PER_SECOND}`)
  }
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > BURST_MAX) {
    throw new RateLimitError(`${where}.burst`, `a whole number from 1 to ${BURST_MAX}`)
  }
  return { perSecond, burst }
}

/** The subscription's own limit, else its action's default, else none. */
export function effectiveRateLimit(own: RateLimit | null, actionDefault: RateLimit | null | undefined): EffectiveRateLimit | null {
  if (own) return { ...own, from: 'subscription' }
  if (actionDefault) return { ...actionDefault, from: 'action' }
  return null
}

/** "5/s, burst 1": the limit as the UI and logs write it. */
export function describeRateLimit(l: RateLimit): string {
  const rate = l.perSecond >= 1 ? `${+l.perSecond.toFixed(3)}/s` : `1 every ${+(1 / l.perSecond).toFixed(1)} s`
  return `${rate}, burst ${l.burst}`
}
