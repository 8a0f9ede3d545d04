/**
 * What is stored beside the bytes: the event's identity and the webhook headers, either
 * as S3 user metadata or as a JSON sidecar object.
 *
 * Metadata is sanitised and bounded because S3 is strict about it: names must be header
 * tokens, values travel as HTTP header values (printable ASCII is the only portable
 * choice; anything else is percent-encoded), and all of it together may not exceed
 * 2 KB. Headers that do not fit are left out, in name order, and counted in
 * `relay-headers-omitted`. Credentials a sender put in headers (Authorization, cookies,
 * API keys) are never archived: a bucket is not the place for them.
 */
import type { EventView, Headers } from '@webhook-relay/plugin-sdk'

/** S3's limit on user metadata: keys (without `x-amz-meta-`) and values, in bytes. */
export const MAX_METADATA_BYTES = 2048
/** Room kept for the `relay-headers-omitted` marker. */
const OMITTED_MARKER_BYTES = 32
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-.*-token|x-.*-secret)$/i
/** Already stored as the object's own Content-Type. */
const SKIPPED_HEADERS: ReadonlySet<string> = new Set(['content-type'])

export function archivableHeaders(headers: Headers): Headers {
  const out: Headers = {}
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (!CREDENTIAL_HEADER.test(lower) && !SKIPPED_HEADERS.has(lower)) out[lower] = value
  }
  return out
}

const metadataName = (name: string): string => name.toLowerCase().replace(/[^a-z0-9._-]/g, '-')
const metadataValue = (value: string): string => value.trim().replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c))
const size = (name: string, value: string): number => Buffer.byteLength(name) + Buffer.byteLength(value)

function identity(event: EventView): Headers {
  return {
    'relay-event-id': event.id,
    'relay-source': metadataValue(event.sourceSlug),
    'relay-received-at': event.receivedAt.toISOString(),
  }
}

/** User metadata for the object: identity, plus the headers when `withHeaders`. */
export function objectMetadata(event: EventView, withHeaders: boolean): Headers {
  const out = identity(event)
  if (!withHeaders) return out
  let used = Object.entries(out).reduce((n, [k, v]) => n + size(k, v), 0)
  let omitted = 0
  const headers = archivableHeaders(event.headers)
  for (const name of Object.keys(headers).sort()) {
    const key = metadataName(name)
    const value = metadataValue(headers[name]!)
    const bytes = size(key, value)
    if (key in out || used + bytes > MAX_METADATA_BYTES - OMITTED_MARKER_BYTES) {
      omitted++
      continue
    }
    out[key] = value
    used += bytes
  }
  if (omitted > 0) out['relay-headers-omitted'] = String(omitted)
  return out
}

export interface Sidecar {
  readonly eventId: string
  readonly source: string
  readonly sourceId: string
  readonly receivedAt: string
  readonly contentType: string | null
  /** The object this describes. */
  readonly key: string
  readonly size: number
  readonly headers: Headers
}

export function sidecar(event: EventView, key: string, size: number): Sidecar {
  return {
    eventId: event.id,
    source: event.sourceSlug,
    sourceId: event.sourceId,
    receivedAt: event.receivedAt.toISOString(),
    contentType: event.contentType,
    key,
    size,
    headers: archivableHeaders(event.headers),
  }
}

export const sidecarKey = (key: string): string => `${key}.meta.json`
