/**
 * Inbound signature verification: the check `POST /in/:slug` runs before an event is
 * stored. A failed check answers 401 with `reason` and the event is not stored.
 *
 * Every scheme HMACs the raw body bytes as received (never a re-serialised parse),
 * looks headers up case-insensitively and compares in constant time.
 */
import type { IncomingHeaders } from '../../signing/headers.ts'
import { verifyStandardWebhook } from '../../signing/standard-webhooks.ts'
import type { VerifyResult } from '../../signing/verify-result.ts'
import { verifyGithub } from './github.ts'
import { verifyHmac } from './hmac.ts'
import type { Verification } from './schema.ts'
import { verifyShopify } from './shopify.ts'
import { verifySlack } from './slack.ts'
import { verifyStripe } from './stripe.ts'

export { VerificationSchema, MAX_TOLERANCE_SEC, type Verification, type VerificationType } from './schema.ts'
export type { VerifyResult } from '../../signing/verify-result.ts'
export type { IncomingHeaders } from '../../signing/headers.ts'

export function verifySignature(
  v: Verification,
  headers: IncomingHeaders,
  body: Buffer,
  nowMs: number = Date.now(),
): VerifyResult {
  switch (v.type) {
    case 'github':
      return verifyGithub(v, headers, body)
    case 'stripe':
      return verifyStripe(v, headers, body, nowMs)
    case 'slack':
      return verifySlack(v, headers, body, nowMs)
    case 'shopify':
      return verifyShopify(v, headers, body)
    case 'standard-webhooks':
      return verifyStandardWebhook(v.secret, headers, body, nowMs, v.toleranceSec)
    case 'hmac':
      return verifyHmac(v, headers, body)
    default:
      return assertNever(v)
  }
}

function assertNever(v: never): never {
  throw new Error(`unknown verification type ${(v as { type: string }).type}`)
}
