/**
 * Generic HMAC of the raw body for senders without a dedicated verifier: the source
 * names the header, algorithm, encoding and an optional prefix such as `sha256=`.
 * The prefix is matched case-insensitively (it is a label, not part of the digest).
 */
import type { Static } from 'typebox'
import { singleHeader, type IncomingHeaders } from '../../signing/headers.ts'
import { rejected, VERIFIED, type VerifyResult } from '../../signing/verify-result.ts'
import { hmac, matchesAny } from './digest.ts'
import type { HmacVerificationSchema } from './schema.ts'

export function verifyHmac(
  config: Static<typeof HmacVerificationSchema>,
  headers: IncomingHeaders,
  body: Buffer,
): VerifyResult {
  const header = config.header.toLowerCase()
  const sig = singleHeader(headers, header)
  if (!sig.ok) return rejected(sig.reason)
  let digest = sig.value
  if (config.prefix !== undefined) {
    if (digest.slice(0, config.prefix.length).toLowerCase() !== config.prefix.toLowerCase()) {
      return rejected(`${header} must start with ${config.prefix}`)
    }
    digest = digest.slice(config.prefix.length)
  }
  const expected = hmac(config.algorithm, config.secret, body)
  return matchesAny(expected, [digest], config.encoding) ? VERIFIED : rejected('signature mismatch')
}
