/**
 * Turns what a plugin reported into what is stored: bodies truncated to the configured
 * size, credential-like headers masked, and a request body that is the event's own body
 * kept as a reference instead of a copy. A person reading an attempt sees what was sent
 * without the store becoming a second copy of every secret or every payload.
 */
import type { Exchange, Headers } from '../plugin/contract.ts'
import { maskCredentialHeaders } from '../secrets/credential-headers.ts'
import type { AttemptRecord } from '../delivery/transitions.ts'

export function maskHeaders(h: Headers | undefined): Headers | null {
  return h ? maskCredentialHeaders(h) : null
}

export function truncate(b: Buffer | null | undefined, max: number): Buffer | null {
  if (!b) return null
  return b.length > max ? b.subarray(0, max) : b
}

export function attemptRecord(input: {
  deliveryId: string
  number: number
  startedAt: number
  durationMs: number
  outcome: AttemptRecord['outcome']
  exchange: Exchange | undefined
  error: string | null
  maxBodyBytes: number
  /** The event's raw body: a request body equal to it is stored as a reference. */
  eventBody: Buffer | undefined
}): AttemptRecord {
  const req = input.exchange?.request
  const res = input.exchange?.response
  const isEvent = !!req?.body && !!input.eventBody && req.body.equals(input.eventBody)
  return {
    deliveryId: input.deliveryId,
    number: input.number,
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    outcome: input.outcome,
    requestUrl: req?.url ?? null,
    requestMethod: req?.method ?? null,
    requestHeaders: maskHeaders(req?.headers),
    requestBody: isEvent ? null : truncate(req?.body, input.maxBodyBytes),
    requestBodyIsEvent: isEvent,
    responseStatus: res?.status ?? null,
    responseHeaders: maskHeaders(res?.headers),
    responseBody: truncate(res?.body, input.maxBodyBytes),
    error: input.error,
  }
}
