/**
 * HMAC helpers shared by the inbound verifiers.
 *
 * Signatures are compared as decoded bytes, not strings, so hex case does not matter;
 * a value that is not valid hex/base64 decodes to nothing and simply fails to match.
 */
import { createHmac } from 'node:crypto'
import { bytesEqual } from '../../signing/timing-safe.ts'

export const HMAC_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number]
export const DIGEST_ENCODINGS = ['hex', 'base64'] as const
export type DigestEncoding = (typeof DIGEST_ENCODINGS)[number]

const HEX = /^(?:[0-9a-fA-F]{2})+$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const NOTHING = Buffer.alloc(0)

export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, ...parts: readonly (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, key)
  for (const part of parts) mac.update(part)
  return mac.digest()
}

/** Strict decode: Buffer.from() silently skips invalid characters, which would let junk through to the compare. */
export function decodeDigest(value: string, encoding: DigestEncoding): Buffer {
  const valid = encoding === 'hex' ? HEX.test(value) : BASE64.test(value)
  return valid ? Buffer.from(value, encoding) : NOTHING
}

/** True when any candidate equals `expected`. Every candidate is compared (no early exit). */
export function matchesAny(expected: Buffer, candidates: readonly string[], encoding: DigestEncoding): boolean {
  let matched = false
  for (const candidate of candidates) matched = bytesEqual(decodeDigest(candidate, encoding), expected) || matched
  return matched
}
