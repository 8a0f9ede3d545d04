/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of `${t}.${body}`.
 * https://docs.stripe.com/webhooks#verify-manually
 *
 * The `whsec_...` endpoint secret is used verbatim as the key (unlike Standard Webhooks,
 * it is not base64-decoded). Stripe sends several v1 entries while a secret is rolled;
 * any match is accepted. v0 entries are test-mode signatures and are ignored.
 */
import type { Static } from 'typebox'
import { singleHeader, type IncomingHeaders } from '../../signing/headers.ts'
import { checkFreshness, DEFAULT_TOLERANCE_SEC, parseUnixSeconds } from '../../signing/timestamp.ts'
import { rejected, VERIFIED, type VerifyResult } from '../../signing/verify-result.ts'
import { hmac, matchesAny } from './digest.ts'
import type { StripeVerificationSchema } from './schema.ts'

const HEADER = 'stripe-signature'

export function verifyStripe(
  config: Static<typeof StripeVerificationSchema>,
  headers: IncomingHeaders,
  body: Buffer,
  nowMs: number,
): VerifyResult {
  const sig = singleHeader(headers, HEADER)
  if (!sig.ok) return rejected(sig.reason)

  const timestamps: string[] = []
  const signatures: string[] = []
  for (const item of sig.value.split(',')) {
    const eq = item.indexOf('=')
    if (eq < 0) continue
    const key = item.slice(0, eq).trim()
    const value = item.slice(eq + 1).trim()
    if (key === 't') timestamps.push(value)
    else if (key === 'v1') signatures.push(value)
  }
  if (timestamps.length !== 1) return rejected(`${HEADER} must carry exactly one t=`)
  const ts = timestamps[0] as string
  const timestamp = parseUnixSeconds(ts)
  if (timestamp === undefined) return rejected(`${HEADER} t= is not unix seconds`)
  if (signatures.length === 0) return rejected(`${HEADER} has no v1 signature`)

  const stale = checkFreshness(timestamp, nowMs, config.toleranceSec ?? DEFAULT_TOLERANCE_SEC)
  if (stale) return stale
  const expected = hmac('sha256', config.secret, `${ts}.`, body)
  return matchesAny(expected, signatures, 'hex') ? VERIFIED : rejected('signature mismatch')
}
