/**
 * The sign-in limiter: at most `max` failed sign-ins per client address per window,
 * counted in Redis so every api replica shares one count. Only failures count (a wrong
 * password or token), so an admin who signs in often is never locked out by success;
 * once over the limit even the right secret is refused until the window ends, so a
 * guesser cannot learn from the answer. The window starts at the first failure.
 *
 * Without Redis it fails closed (UiStoreUnavailable, 503): an outage must not become an
 * unlimited guessing window.
 */
import type { Redis } from 'ioredis'
import { fromRedis } from './store-unavailable.ts'

export const SIGN_IN_WINDOW_MS = 5 * 60_000

export class SignInLimited extends Error {
  readonly statusCode = 429

  readonly retryAfterSec: number

  constructor(retryAfterSec: number) {
    super(`Too many failed sign-in attempts from your address. Try again in ${spoken(retryAfterSec)}.`)
    this.retryAfterSec = retryAfterSec
  }
}

const spoken = (sec: number) => (sec < 60 ? `${sec} second${sec === 1 ? '' : 's'}` : `${Math.ceil(sec / 60)} minute${Math.ceil(sec / 60) === 1 ? '' : 's'}`)

export interface SignInLimiter {
  /** Throws SignInLimited when `address` has used up its failures. */
  check(address: string): Promise<void>
  failed(address: string): Promise<void>
}

export function signInLimiter(redis: Redis, prefix: string, max: number, windowMs = SIGN_IN_WINDOW_MS): SignInLimiter {
  const keyOf = (address: string) => `${prefix}${address}`
  return {
    async check(address) {
      const [[, count], [, ttl]] = (await fromRedis(() => redis.multi().get(keyOf(address)).pttl(keyOf(address)).exec())) as [[null, string | null], [null, number]]
      if (Number(count ?? 0) >= max) throw new SignInLimited(Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000)))
    },
    async failed(address) {
      await fromRedis(() => redis.multi().incr(keyOf(address)).pexpire(keyOf(address), windowMs, 'NX').exec())
    },
  }
}
