/**
 * A local stand-in for PagerDuty's Events API v2 (POST /v2/enqueue), answering as the
 * real one does on the points the plugin relies on: 202 with the dedup key for a valid
 * event, 400 "invalid event" with a list of errors for an invalid one, 429 when
 * throttled. Validation follows PagerDuty's documented rules for event fields.
 */
import type { ReceivedRequest, ReceiverReply } from '@webhook-relay/core/testing'

const ACTIONS = ['trigger', 'acknowledge', 'resolve']
const SEVERITIES = ['critical', 'error', 'warning', 'info']

interface SentEvent {
  routing_key?: unknown
  event_action?: unknown
  dedup_key?: unknown
  payload?: { summary?: unknown; source?: unknown; severity?: unknown } | null
}

export function invalidEvent(errors: string[]): ReceiverReply {
  return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } }
}

export const throttled: ReceiverReply = { status: 429, headers: { 'content-type': 'application/json' }, body: '{"status":"throttle event","message":"Requests for this service are arriving too quickly.  Please retry later."}' }

/** Answers one request the way PagerDuty would. */
export function pagerDuty(req: ReceivedRequest): ReceiverReply {
  if (req.method !== 'POST') return { status: 404 }
  let event: SentEvent
  try {
    event = JSON.parse(req.body.toString('utf8')) as SentEvent
  } catch {
    return { status: 400, body: { status: 'invalid request', message: 'Event object is invalid', errors: ['Malformed JSON'] } }
  }
  const errors: string[] = []
  if (typeof event.routing_key !== 'string' || event.routing_key.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)")
  if (typeof event.event_action !== 'string' || !ACTIONS.includes(event.event_action)) errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
  if (event.dedup_key !== undefined && (typeof event.dedup_key !== 'string' || event.dedup_key.length > 255)) errors.push("'dedup_key' is invalid")
  if (event.event_action === 'trigger') {
    const p = event.payload
    if (!p || typeof p !== 'object') errors.push("'payload' is missing or blank")
    else {
      if (typeof p.summary !== 'string' || p.summary === '') errors.push("'payload.summary' is missing or blank")
      else if (p.summary.length > 1024) errors.push("'payload.summary' is too long (must be at most 1024 characters)")
      if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing or blank")
      if (typeof p.severity !== 'string' || !SEVERITIES.includes(p.severity)) errors.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
    }
  } else if (typeof event.dedup_key !== 'string' || event.dedup_key === '') errors.push("'dedup_key' is missing or blank")
  if (errors.length > 0) return invalidEvent(errors)
  return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: event.dedup_key ?? 'generated' } }
}
