/**
 * Object keys from a template such as `{source}/{yyyy}/{mm}/{dd}/{eventId}.{ext}`.
 * Dates are the event's receipt time in UTC, so every retry and replay of a delivery
 * writes the same key (an overwrite, not a duplicate).
 */
import type { DeliveryInput } from '@webhook-relay/plugin-sdk'

export const KEY_PLACEHOLDERS = ['source', 'sourceId', 'eventId', 'subscriptionId', 'deliveryId', 'webhookId', 'yyyy', 'mm', 'dd', 'hh', 'ext'] as const
export type KeyPlaceholder = (typeof KEY_PLACEHOLDERS)[number]

/** S3's limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024
export const DEFAULT_EXTENSION = 'bin'

const EXTENSIONS: Readonly<Record<string, string>> = {
  'application/json': 'json',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'text/plain': 'txt',
  'text/html': 'html',
  'text/csv': 'csv',
  'application/x-www-form-urlencoded': 'form',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
}

/** `application/vnd.github+json; charset=utf-8` → `json`; unknown types → `bin`. */
export function extensionFor(contentType: string): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  const known = EXTENSIONS[type]
  if (known) return known
  if (type.endsWith('+json')) return 'json'
  if (type.endsWith('+xml')) return 'xml'
  return DEFAULT_EXTENSION
}

const pad = (n: number): string => String(n).padStart(2, '0')

export function keyValues(input: Pick<DeliveryInput<unknown>, 'event' | 'payload' | 'subscription' | 'delivery'>): Record<KeyPlaceholder, string> {
  const at = input.event.receivedAt
  return {
    source: input.event.sourceSlug,
    sourceId: input.event.sourceId,
    eventId: input.event.id,
    subscriptionId: input.subscription.id,
    deliveryId: input.delivery.id,
    webhookId: input.delivery.webhookId,
    yyyy: String(at.getUTCFullYear()),
    mm: pad(at.getUTCMonth() + 1),
    dd: pad(at.getUTCDate()),
    hh: pad(at.getUTCHours()),
    ext: extensionFor(input.payload.contentType),
  }
}

/** Fills the placeholders (the config schema has already refused unknown ones). */
export function renderKey(template: string, values: Record<KeyPlaceholder, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? values[name as KeyPlaceholder] : whole))
}
