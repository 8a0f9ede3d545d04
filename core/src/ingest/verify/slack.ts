/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<ts>:<body>">` with the
 * timestamp in `X-Slack-Request-Timestamp`.
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
import type { Static } from 'typebox'
import { singleHeader, type IncomingHeaders } from '../../signing/headers.ts'
import { checkFreshness, DEFAULT_TOLERANCE_SEC, parseUnixSeconds } from '../../signing/timestamp.ts'
import { rejected, VERIFIED, type VerifyResult } from '../../signing/verify-result.ts'
import { hmac, matchesAny } from './digest.ts'
import type { SlackVerificationSchema } from './schema.ts'

const SIGNATURE_HEADER = 'x-slack-signature'
const TIMESTAMP_HEADER = 'x-slack-request-timestamp'
const VERSION = 'v0'

export function verifySlack(
  config: Static<typeof SlackVerificationSchema>,
  headers: IncomingHeaders,
  body: Buffer,
  nowMs: number,
): VerifyResult {
  const sig = singleHeader(headers, SIGNATURE_HEADER)
  if (!sig.ok) return rejected(sig.reason)
  const ts = singleHeader(headers, TIMESTAMP_HEADER)
  if (!ts.ok) return rejected(ts.reason)

  const timestamp = parseUnixSeconds(ts.value)
  if (timestamp === undefined) return rejected(`${TIMESTAMP_HEADER} is not unix seconds`)
  if (!sig.value.startsWith(`${VERSION}=`)) return rejected(`${SIGNATURE_HEADER} must start with ${VERSION}=`)

  const stale = checkFreshness(timestamp, nowMs, config.toleranceSec ?? DEFAULT_TOLERANCE_SEC)
  if (stale) return stale
  const expected = hmac('sha256', config.secret, `${VERSION}:${ts.value}:`, body)
  return matchesAny(expected, [sig.value.slice(VERSION.length + 1)], 'hex') ? VERIFIED : rejected('signature mismatch')
}
