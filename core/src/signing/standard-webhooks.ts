/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing and verification.
 *
 * One implementation serves both directions: the http-relay plugin signs outgoing
 * deliveries with it, and sources whose verification type is `standard-webhooks` check
 * incoming requests with it.
 *
 * Signed content is `${webhook-id}.${webhook-timestamp}.${body}`, HMAC-SHA256, keyed with
 * the base64-decoded part of a `whsec_` secret. `webhook-signature` carries one
 * space-separated `v1,<base64>` entry per secret, so receivers keep verifying while a
 * secret is rotated.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { Signer } from '../plugin/contract.ts'
import { singleHeader, type IncomingHeaders } from './headers.ts'
import { checkFreshness, DEFAULT_TOLERANCE_SEC, parseUnixSeconds } from './timestamp.ts'
import { bytesEqual } from './timing-safe.ts'
import { rejected, VERIFIED, type VerifyResult } from './verify-result.ts'

export const SECRET_PREFIX = 'whsec_'
/** Standard Webhooks recommends 24 to 64 random bytes. */
export const SECRET_BYTES = 24
const SIGNATURE_VERSION = 'v1'
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
/** Larger than any unix time in seconds for millennia; a value above it is almost certainly milliseconds. */
const MAX_UNIX_SECONDS = 1e11

export interface SignInput {
  webhookId: string
  /** Unix time in seconds. */
  timestamp: number
  body: Buffer
  /** `whsec_` secrets, newest first. At least one. */
  secrets: readonly string[]
}

/** The HMAC key inside a `whsec_` secret. Throws on a malformed secret: that is a configuration bug, not a bad request. */
export function decodeSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : ''
  if (!BASE64.test(encoded)) throw new Error(`signing secret must be ${SECRET_PREFIX} followed by base64`)
  return Buffer.from(encoded, 'base64')
}

function signatureOf(key: Buffer, webhookId: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${webhookId}.${timestamp}.`).update(body).digest()
}

export function signStandardWebhook(input: SignInput): Record<string, string> {
  const { webhookId, timestamp, body, secrets } = input
  if (secrets.length === 0) throw new Error('at least one signing secret is required')
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_UNIX_SECONDS) {
    throw new Error(`webhook timestamp must be unix seconds, got ${timestamp}`)
  }
  const ts = String(timestamp)
  const signatures = secrets.map(
    (secret) => `${SIGNATURE_VERSION},${signatureOf(decodeSecret(secret), webhookId, ts, body).toString('base64')}`,
  )
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': ts,
    'webhook-signature': signatures.join(' '),
  }
}

export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64')
}

export const standardWebhooksSigner: Signer = { sign: signStandardWebhook }

/**
 * Checks an incoming Standard Webhooks request. Accepts when any `v1` entry matches, so
 * a sender mid-rotation (old and new secret both signing) verifies against either.
 * Entries of other versions (e.g. `v1a`, asymmetric) are skipped.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: IncomingHeaders,
  body: Buffer,
  nowMs: number,
  toleranceSec: number = DEFAULT_TOLERANCE_SEC,
): VerifyResult {
  const id = singleHeader(headers, 'webhook-id')
  if (!id.ok) return rejected(id.reason)
  const ts = singleHeader(headers, 'webhook-timestamp')
  if (!ts.ok) return rejected(ts.reason)
  const sig = singleHeader(headers, 'webhook-signature')
  if (!sig.ok) return rejected(sig.reason)

  const timestamp = parseUnixSeconds(ts.value)
  if (timestamp === undefined) return rejected('webhook-timestamp is not unix seconds')
  const stale = checkFreshness(timestamp, nowMs, toleranceSec)
  if (stale) return stale

  const candidates = sig.value
    .split(' ')
    .filter((entry) => entry.startsWith(`${SIGNATURE_VERSION},`))
    .map((entry) => Buffer.from(entry.slice(SIGNATURE_VERSION.length + 1)))
  if (candidates.length === 0) return rejected(`webhook-signature has no ${SIGNATURE_VERSION} signature`)

  let key: Buffer
  try {
    key = decodeSecret(secret)
  } catch {
    return rejected(`source verification secret is not a valid ${SECRET_PREFIX} secret`)
  }
  const expected = Buffer.from(signatureOf(key, id.value, ts.value, body).toString('base64'))
  // Compare every candidate, no early exit, so timing does not reveal which one matched.
  let matched = false
  for (const candidate of candidates) matched = bytesEqual(candidate, expected) || matched
  return matched ? VERIFIED : rejected('signature mismatch')
}
