/**
 * Where an event's idempotency key comes from: one rule for every source (docs/signatures.md,
 * "Replays and idempotency").
 *
 * 1. The operator's setting wins: a header name, `body:<path>` for a field of a JSON body,
 *    or `none`.
 * 2. A source that verifies signatures takes what the signature covers, so a captured
 *    request replayed with a new unsigned header is still a duplicate:
 *    Standard Webhooks the signed `webhook-id`; Stripe the event id in the signed body
 *    (or the signed timestamp with the body's digest); Slack the signed timestamp with
 *    the body's digest. Schemes that sign only the body (GitHub, Shopify, generic HMAC)
 *    take the body's SHA-256, within the source's replay window (`replayWindowSec`;
 *    the whole retention when unset). A digest of the signed bytes rather than the
 *    signature header's text: re-casing the hex or adding a second signature cannot
 *    make a replay look new.
 * 3. A source without verification takes the first well-known header present, then
 *    Stripe's body id when a Stripe signature is there (nothing is signed: these only
 *    fold a sender's own retries).
 *
 * Keys are compared whole: one longer than MAX_PLAIN_KEY is stored as its SHA-256.
 */
import { createHash } from 'node:crypto'
import type { Verification } from './verify/index.ts'

export const DEFAULT_IDEMPOTENCY_HEADERS = ['idempotency-key', 'webhook-id', 'x-github-delivery', 'x-shopify-webhook-id', 'x-request-id-idempotent'] as const
/**
 * Longer keys are stored as `sha256:<hex>` of the whole value (an index entry stays small,
 * no two keys merge). 255, the length earlier versions cut keys at, so a key that fitted
 * then is stored the same way now.
 */
export const MAX_PLAIN_KEY = 255

export interface IdempotencyKey {
  readonly key: string
  /** Deduplicate only within this many seconds (a replay window); null: while the event is kept. */
  readonly windowSec: number | null
}

export interface KeySource {
  readonly idempotencyHeader: string | null
  readonly verification: Verification | null
}

export function idempotencyKey(source: KeySource, headers: Record<string, string>, body: Buffer, contentType: string | null): IdempotencyKey | null {
  const setting = source.idempotencyHeader
  if (setting === 'none') return null
  if (setting) return forever(setting.startsWith('body:') ? fromBody(setting.slice(5), body, contentType) : headers[setting.toLowerCase()])
  if (source.verification) return signedKey(source.verification, headers, body, contentType)
  for (const h of DEFAULT_IDEMPOTENCY_HEADERS) {
    const k = forever(headers[h])
    if (k) return k
  }
  if (headers['stripe-signature']) return forever(fromBody('id', body, contentType))
  return null
}

/** What the verified signature covers (the check has passed when this runs). */
function signedKey(v: Verification, headers: Record<string, string>, body: Buffer, contentType: string | null): IdempotencyKey | null {
  switch (v.type) {
    case 'standard-webhooks':
      return forever(headers['webhook-id'])
    case 'stripe': {
      const t = /(?:^|,)\s*t=(\d+)/.exec(headers['stripe-signature'] ?? '')?.[1]
      return forever(fromBody('id', body, contentType)) ?? forever(`stripe:${t}:${sha256(body)}`)
    }
    case 'slack':
      return forever(`slack:${headers['x-slack-request-timestamp']?.trim()}:${sha256(body)}`)
    case 'github':
    case 'shopify':
    case 'hmac':
      return { key: `body-sha256:${sha256(body)}`, windowSec: v.replayWindowSec ?? null }
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

function forever(value: string | null | undefined): IdempotencyKey | null {
  const key = whole(value)
  return key ? { key, windowSec: null } : null
}

/** The key as stored: trimmed, and hashed when long, never cut (a cut would merge two keys). */
export function whole(value: string | null | undefined): string | null {
  const t = value?.trim()
  if (!t) return null
  return t.length <= MAX_PLAIN_KEY ? t : `sha256:${sha256(Buffer.from(t))}`
}

function fromBody(path: string, body: Buffer, contentType: string | null): string | null {
  if (contentType && !/json/i.test(contentType)) return null
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    return null
  }
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return null
    value = (value as Record<string, unknown>)[part]
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null
}
