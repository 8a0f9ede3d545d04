/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 * (The legacy SHA-1 `X-Hub-Signature` is deliberately not accepted.)
 */
import { singleHeader, type IncomingHeaders } from '../../signing/headers.ts'
import { rejected, VERIFIED, type VerifyResult } from '../../signing/verify-result.ts'
import { hmac, matchesAny } from './digest.ts'
import type { GithubVerificationSchema } from './schema.ts'
import type { Static } from 'typebox'

const HEADER = 'x-hub-signature-256'
const PREFIX = 'sha256='

export function verifyGithub(
  config: Static<typeof GithubVerificationSchema>,
  headers: IncomingHeaders,
  body: Buffer,
): VerifyResult {
  const sig = singleHeader(headers, HEADER)
  if (!sig.ok) return rejected(sig.reason)
  if (!sig.value.startsWith(PREFIX)) return rejected(`${HEADER} must start with ${PREFIX}`)
  const expected = hmac('sha256', config.secret, body)
  return matchesAny(expected, [sig.value.slice(PREFIX.length)], 'hex') ? VERIFIED : rejected('signature mismatch')
}
