/**
 * Builds an EventView from a pasted payload, for trying a script against an event
 * that was never ingested (the REST "test this script" call, examples and tests).
 */
import type { EventView, Headers } from '../plugin/contract.ts'
import { parseJsonOrUndefined } from '@webhook-relay/plugin-sdk'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

export interface PastedEvent {
  /** Raw body; an object is encoded as JSON. */
  readonly body: Buffer | string | object
  readonly headers?: Headers
  /** Defaults to the content-type header, or application/json for an object body. */
  readonly contentType?: string | null
  readonly source?: string
  readonly id?: string
  readonly receivedAt?: Date
}

export function eventViewFromPayload(pasted: PastedEvent): EventView {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(pasted.headers ?? {})) headers[name.toLowerCase()] = value
  const isObject = !Buffer.isBuffer(pasted.body) && typeof pasted.body !== 'string'
  const body = Buffer.isBuffer(pasted.body)
    ? pasted.body
    : Buffer.from(typeof pasted.body === 'string' ? pasted.body : JSON.stringify(pasted.body))
  const contentType = pasted.contentType !== undefined
    ? pasted.contentType
    : headers['content-type'] ?? (isObject ? 'application/json' : null)
  return {
    id: pasted.id ?? 'evt_test',
    sourceId: pasted.source ?? 'test',
    sourceSlug: pasted.source ?? 'test',
    receivedAt: pasted.receivedAt ?? new Date(),
    contentType,
    headers,
    body,
    json: contentType !== null && JSON_TYPE.test(contentType) ? parseJsonOrUndefined(body) : undefined,
  }
}
