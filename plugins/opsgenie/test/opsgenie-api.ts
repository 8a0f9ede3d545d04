/**
 * A local stand-in for Opsgenie's Alert API v2, answering as the real one does on the
 * points the plugin relies on: `Authorization: GenieKey <key>` checked first (401
 * otherwise), then the body (422 "Request body is not processable" with a field → error
 * map), then 202 `{ result, took, requestId }`, since Opsgenie processes requests
 * asynchronously. Replies for 429 and 5xx are queued by the tests.
 *
 * It also keeps the alerts it was asked for by alias (open / acked / closed, and a count
 * of repeats, the way Opsgenie deduplicates on alias), so tests can check the outcome and
 * not only the requests.
 */
import { randomUUID } from 'node:crypto'
import type { ReceivedRequest, ReceiverHandler, ReceiverReply } from '@webhook-relay/core/testing'

const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5']
const ALERTS = '/v2/alerts'

export interface StoredAlert {
  alias: string
  message: string
  priority: string
  status: 'open' | 'closed'
  acknowledged: boolean
  count: number
}

export interface OpsgenieApi {
  readonly handler: ReceiverHandler
  /** Alerts by alias, as the API would hold them once the requests were processed. */
  readonly alerts: Map<string, StoredAlert>
}

const took = () => Math.round(Math.random() * 300) / 1000

export function opsgenieError(status: number, message: string, errors?: Record<string, string>): ReceiverReply {
  return { status, body: { message, ...(errors ? { errors } : {}), took: took(), requestId: randomUUID() } }
}

export const unauthorized = opsgenieError(401, 'Could not authenticate')
export const unprocessable = (errors: Record<string, string>): ReceiverReply => opsgenieError(422, 'Request body is not processable. Please check the errors.', errors)
export const throttled: ReceiverReply = {
  status: 429,
  headers: { 'x-ratelimit-state': 'THROTTLED', 'x-ratelimit-period-in-sec': '60' },
  body: { message: 'You are making too many requests! To avoid errors, we recommend you limit requests.', took: 0, requestId: randomUUID() },
}
export const accepted = (): ReceiverReply => ({ status: 202, body: { result: 'Request will be processed', took: took(), requestId: randomUUID() } })

function str(v: unknown): v is string {
  return typeof v === 'string'
}

function validateCreate(body: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!str(body.message) || body.message.trim() === '') errors.message = 'Message can not be empty.'
  else if (body.message.length > 130) errors.message = 'Message can not be longer than 130 characters.'
  if (body.alias !== undefined && (!str(body.alias) || body.alias.length > 512)) errors.alias = 'Alias can not be longer than 512 characters.'
  if (body.description !== undefined && (!str(body.description) || body.description.length > 15_000)) errors.description = 'Description can not be longer than 15000 characters.'
  if (body.source !== undefined && (!str(body.source) || body.source.length > 100)) errors.source = 'Source can not be longer than 100 characters.'
  if (body.entity !== undefined && (!str(body.entity) || body.entity.length > 512)) errors.entity = 'Entity can not be longer than 512 characters.'
  if (body.priority !== undefined && (!str(body.priority) || !PRIORITIES.includes(body.priority))) errors.priority = 'should be one of [P1, P2, P3, P4, P5]'
  if (body.tags !== undefined) {
    if (!Array.isArray(body.tags) || body.tags.length > 20) errors.tags = 'Tags can not be more than 20.'
    else if (body.tags.some((t) => !str(t) || t.length > 50)) errors.tags = 'Tag can not be longer than 50 characters.'
  }
  if (body.details !== undefined) {
    const d = body.details
    if (d === null || typeof d !== 'object' || Array.isArray(d) || Object.values(d).some((v) => !str(v))) errors.details = 'Details must be a map of strings.'
    else if (Object.entries(d).reduce((n, [k, v]) => n + k.length + (v as string).length, 0) > 8000) errors.details = 'Details can not be longer than 8000 characters.'
  }
  if (body.responders !== undefined) {
    const ok = Array.isArray(body.responders) && body.responders.every((r: { type?: unknown; id?: unknown; name?: unknown; username?: unknown }) =>
      r !== null && typeof r === 'object' && ['team', 'user', 'escalation', 'schedule'].includes(String(r.type)) && (str(r.id) || str(r.name) || str(r.username)))
    if (!ok) errors.responders = 'Responder must have id, name or username.'
  }
  return errors
}

/** An Opsgenie account whose integration has `apiKey`. */
export function opsgenie(apiKey: string): OpsgenieApi {
  const alerts = new Map<string, StoredAlert>()
  const handler = (req: ReceivedRequest): ReceiverReply => {
    if (req.headers.authorization !== `GenieKey ${apiKey}`) return unauthorized
    const url = new URL(req.url, 'http://opsgenie.invalid')
    if (req.method !== 'POST') return opsgenieError(405, 'Method not allowed')
    let body: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(req.body.toString('utf8'))
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
      body = parsed as Record<string, unknown>
    } catch {
      return opsgenieError(400, 'Could not parse request body')
    }

    if (url.pathname === ALERTS) {
      const errors = validateCreate(body)
      if (Object.keys(errors).length > 0) return unprocessable(errors)
      const alias = str(body.alias) ? body.alias : randomUUID()
      const open = alerts.get(alias)
      // Opsgenie deduplicates on alias while the alert is open: the count goes up instead.
      if (open && open.status === 'open') open.count++
      else alerts.set(alias, { alias, message: body.message as string, priority: str(body.priority) ? body.priority : 'P3', status: 'open', acknowledged: false, count: 1 })
      return accepted()
    }

    const m = /^\/v2\/alerts\/([^/]+)\/(acknowledge|close)$/.exec(url.pathname)
    if (!m) return opsgenieError(404, 'Not found')
    const identifierType = url.searchParams.get('identifierType') ?? 'id'
    if (!['id', 'tiny', 'alias'].includes(identifierType)) return opsgenieError(422, 'Identifier type is not valid')
    if (body.source !== undefined && (!str(body.source) || body.source.length > 100)) return unprocessable({ source: 'Source can not be longer than 100 characters.' })
    // Accepted whether or not the alert exists: Opsgenie finds out while processing.
    const alert = identifierType === 'alias' ? alerts.get(decodeURIComponent(m[1]!)) : undefined
    if (alert && m[2] === 'acknowledge') alert.acknowledged = true
    if (alert && m[2] === 'close') alert.status = 'closed'
    return accepted()
  }
  return { handler, alerts }
}
