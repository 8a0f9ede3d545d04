/**
 * Where an event's idempotency key comes from. A source may name one header, or
 * `body:<path>` for a field of a JSON body (Stripe puts the event id there), or `none`.
 * Without a setting, the first of the well-known headers present wins, then Stripe's
 * body id when the request carries a Stripe signature.
 */
export const DEFAULT_IDEMPOTENCY_HEADERS = ['idempotency-key', 'webhook-id', 'x-github-delivery', 'x-shopify-webhook-id', 'x-request-id-idempotent'] as const
const MAX_KEY_LENGTH = 255

export function idempotencyKey(setting: string | null, headers: Record<string, string>, body: Buffer, contentType: string | null): string | null {
  if (setting === 'none') return null
  if (setting) {
    if (setting.startsWith('body:')) return fromBody(setting.slice(5), body, contentType)
    return clip(headers[setting.toLowerCase()])
  }
  for (const h of DEFAULT_IDEMPOTENCY_HEADERS) {
    const v = clip(headers[h])
    if (v) return v
  }
  if (headers['stripe-signature']) return fromBody('id', body, contentType)
  return null
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
  return typeof value === 'string' || typeof value === 'number' ? clip(String(value)) : null
}

function clip(v: string | undefined): string | null {
  if (!v) return null
  const t = v.trim()
  return t ? t.slice(0, MAX_KEY_LENGTH) : null
}
