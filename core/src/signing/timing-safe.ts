/**
 * Constant-time comparison of two byte strings.
 *
 * `crypto.timingSafeEqual` throws on unequal lengths; a signature of the wrong length is
 * simply not a match, and the length of an HMAC digest is public, so checking it first
 * leaks nothing.
 */
import { timingSafeEqual } from 'node:crypto'

export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
