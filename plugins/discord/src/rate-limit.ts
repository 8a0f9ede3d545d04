/**
 * How long Discord asks us to wait after a 429: `retry_after` (seconds, fractional) in
 * the JSON body, `Retry-After` and `X-RateLimit-Reset-After` headers. The longest of
 * them wins, rounded up to the millisecond; undefined when none is there.
 */
import type { Headers } from '@webhook-relay/plugin-sdk'

function seconds(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

export function discordRetryAfterMs(headers: Headers, body: unknown): number | undefined {
  const lower: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v
  const candidates = [seconds((body as { retry_after?: unknown } | null)?.retry_after), seconds(lower['retry-after']), seconds(lower['x-ratelimit-reset-after'])]
  const known = candidates.filter((s) => s !== undefined)
  return known.length ? Math.ceil(Math.max(...known) * 1000) : undefined
}
