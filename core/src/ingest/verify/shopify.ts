/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`, keyed with the
 * app's client secret. Shopify has no timestamp in the signature, so no replay window.
 * https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
 */
import type { Static } from 'typebox'
import { singleHeader, type IncomingHeaders } from '../../signing/headers.ts'
import { rejected, VERIFIED, type VerifyResult } from '../../signing/verify-result.ts'
import { hmac, matchesAny } from './digest.ts'
import type { ShopifyVerificationSchema } from './schema.ts'

const HEADER = 'x-shopify-hmac-sha256'

export function verifyShopify(
  config: Static<typeof ShopifyVerificationSchema>,
  headers: IncomingHeaders,
  body: Buffer,
): VerifyResult {
  const sig = singleHeader(headers, HEADER)
  if (!sig.ok) return rejected(sig.reason)
  const expected = hmac('sha256', config.secret, body)
  return matchesAny(expected, [sig.value], 'base64') ? VERIFIED : rejected('signature mismatch')
}
