/**
 * How an HTTP answer maps to ok / retry / fail, shared by every plugin that speaks HTTP
 * (http-relay, Slack, Discord, ...), so they all treat receivers the same way.
 *
 * - 2xx: delivered.
 * - 410 Gone: the receiver says it will never take these again; fail and disable the
 *   subscription instead of retrying into a void.
 * - 408, 409, 425, 429 and 5xx: the receiver may take it later; retry, honouring
 *   Retry-After (the core clamps it).
 * - Anything else (other 4xx, 3xx since redirects are not followed): retrying the same
 *   request gets the same answer, so fail now and let a person look at the dead letter.
 */
import { STATUS_CODES } from 'node:http'
import { EGRESS_INVALID_URL, EGRESS_REFUSED } from './egress-codes.ts'
import { fail, ok, retry, type DeliveryResult, type Exchange, type Headers, type HttpResponse } from './contract.ts'

const RETRYABLE_4XX: ReadonlySet<number> = new Set([408, 409, 425, 429])
const DELTA_SECONDS = /^\d+$/
/** All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) open with a day name; Date.parse alone would take "-5" as a year. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /

/** Error codes that mean "the destination is not acceptable": retrying cannot help. */
const PERMANENT_ERROR_CODES: ReadonlySet<string> = new Set([
  EGRESS_REFUSED,
  EGRESS_INVALID_URL,
  // undici rejects a malformed request (bad header value, bad method) before sending it.
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
])

/**
 * Retry-After as a delay in ms: delta-seconds ("120") or an HTTP-date. A date in the
 * past means "now" (0). Undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (DELTA_SECONDS.test(trimmed)) return Number(trimmed) * 1000
  if (!HTTP_DATE.test(trimmed)) return undefined
  // HTTP dates are always GMT; asctime omits the zone, and Date.parse would read it as local time.
  const at = Date.parse(trimmed.endsWith('GMT') ? trimmed : `${trimmed} GMT`)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

function header(headers: Headers, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value
  return undefined
}

function statusLine(status: number): string {
  const text = STATUS_CODES[status]
  return text ? `HTTP ${status} ${text}` : `HTTP ${status}`
}

export function classifyHttpResponse(res: HttpResponse, exchange: Exchange, nowMs: number = Date.now()): DeliveryResult {
  const { status } = res
  if (status >= 200 && status < 300) return ok(exchange)
  const reason = statusLine(status)
  if (status === 410) return fail(reason, { disableSubscription: true, exchange })
  if (RETRYABLE_4XX.has(status) || (status >= 500 && status < 600)) {
    const afterMs = parseRetryAfter(header(res.headers, 'retry-after'), nowMs)
    return retry(reason, afterMs === undefined ? { exchange } : { afterMs, exchange })
  }
  return fail(reason, { exchange })
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * A thrown request error: egress refusals and malformed requests fail; everything else
 * (timeouts, refused or reset connections, DNS hiccups) is assumed transient and retried.
 */
export function classifyHttpError(err: unknown, exchange: Exchange): DeliveryResult {
  const message = err instanceof Error ? err.message : String(err)
  const code = errorCode(err)
  const reason = code && !message.includes(code) ? `${code}: ${message}` : message
  if (code && PERMANENT_ERROR_CODES.has(code)) return fail(reason, { exchange })
  return retry(reason, { exchange })
}
