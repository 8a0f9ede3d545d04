/**
 * Replay protection shared by the timestamped schemes (Stripe, Slack, Standard Webhooks).
 *
 * A timestamp is accepted within `toleranceSec` either side of now: a sender's clock may
 * run ahead of ours, and a captured request replayed later must fail.
 */
import { rejected, type VerifyResult } from './verify-result.ts'

/** Five minutes, the window Stripe, Slack and Standard Webhooks all recommend. */
export const DEFAULT_TOLERANCE_SEC = 300

const UNIX_SECONDS = /^\d{1,12}$/

/** Parses a unix-seconds header value; undefined when it is not a plain integer. */
export function parseUnixSeconds(value: string): number | undefined {
  return UNIX_SECONDS.test(value) ? Number(value) : undefined
}

/** Undefined when the timestamp is fresh, otherwise the rejection to return. */
export function checkFreshness(timestampSec: number, nowMs: number, toleranceSec: number): VerifyResult | undefined {
  const skewSec = Math.abs(nowMs / 1000 - timestampSec)
  return skewSec > toleranceSec ? rejected('timestamp outside tolerance') : undefined
}
