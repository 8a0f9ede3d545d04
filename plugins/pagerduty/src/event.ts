/**
 * Builds the Events API v2 request body from the config's templates. Limits are
 * PagerDuty's: summary up to 1024 characters (cut, since a long title is still a
 * title), dedup_key up to 255 (an error, since a cut key would not match the alert a
 * later resolve is meant for).
 */
import type { PagerDutyConfig } from './config.ts'
import {
  DEFAULT_DEDUP_KEY,
  DEFAULT_EVENT_ACTION,
  DEFAULT_SEVERITY,
  DEFAULT_SOURCE,
  DEFAULT_SUMMARY,
} from './config.ts'
import { render, type TemplateContext } from './template.ts'

export const EVENT_ACTIONS: readonly string[] = ['trigger', 'acknowledge', 'resolve']
export const SEVERITIES: readonly string[] = ['critical', 'error', 'warning', 'info']
export const MAX_SUMMARY_CHARS = 1024
export const MAX_DEDUP_KEY_CHARS = 255

export interface PagerDutyEvent {
  routing_key: string
  event_action: string
  dedup_key: string
  payload?: {
    summary: string
    source: string
    severity: string
    timestamp: string
    component?: string
    group?: string
    class?: string
    custom_details?: unknown
  }
  client?: string
  client_url?: string
}

/** A config or template problem: retrying the same event renders the same thing. */
export class EventBuildError extends Error {
  override name = 'EventBuildError'
}

function optional(name: string, source: string | undefined, context: TemplateContext): string | undefined {
  if (source === undefined) return undefined
  const value = render(name, source, context).trim()
  return value === '' ? undefined : value
}

function details(context: TemplateContext): unknown {
  const { payload, body } = context
  if (payload !== undefined && payload !== null && typeof payload === 'object' && !Array.isArray(payload)) return payload
  return payload === undefined ? { body } : { payload }
}

export function buildEvent(config: PagerDutyConfig, context: TemplateContext): PagerDutyEvent {
  let eventAction: string, dedupKey: string
  try {
    eventAction = render('eventAction', config.eventAction ?? DEFAULT_EVENT_ACTION, context).trim()
    dedupKey = render('dedupKey', config.dedupKey ?? DEFAULT_DEDUP_KEY, context).trim()
  } catch (err) {
    throw new EventBuildError((err as Error).message)
  }
  if (!EVENT_ACTIONS.includes(eventAction)) throw new EventBuildError(`eventAction rendered "${eventAction}"; expected ${EVENT_ACTIONS.join(', ')}`)
  if (dedupKey === '') throw new EventBuildError('dedupKey rendered empty')
  if (dedupKey.length > MAX_DEDUP_KEY_CHARS) throw new EventBuildError(`dedupKey is ${dedupKey.length} characters; PagerDuty allows ${MAX_DEDUP_KEY_CHARS}`)

  const event: PagerDutyEvent = { routing_key: config.routingKey, event_action: eventAction, dedup_key: dedupKey }
  if (config.client) event.client = config.client
  if (config.clientUrl) event.client_url = config.clientUrl
  // Acknowledge and resolve only name the alert; a payload is for trigger.
  if (eventAction !== 'trigger') return event

  try {
    const summary = render('summary', config.summary ?? DEFAULT_SUMMARY, context).trim()
    const severity = render('severity', config.severity ?? DEFAULT_SEVERITY, context).trim()
    const source = render('source', config.source ?? DEFAULT_SOURCE, context).trim()
    if (summary === '') throw new EventBuildError('summary rendered empty')
    if (source === '') throw new EventBuildError('source rendered empty')
    if (!SEVERITIES.includes(severity)) throw new EventBuildError(`severity rendered "${severity}"; expected ${SEVERITIES.join(', ')}`)
    event.payload = {
      summary: summary.length > MAX_SUMMARY_CHARS ? `${summary.slice(0, MAX_SUMMARY_CHARS - 1)}…` : summary,
      source,
      severity,
      timestamp: context.event.receivedAt,
    }
    const component = optional('component', config.component, context)
    const group = optional('group', config.group, context)
    const klass = optional('class', config.class, context)
    if (component) event.payload.component = component
    if (group) event.payload.group = group
    if (klass) event.payload.class = klass
    if (config.customDetails ?? true) event.payload.custom_details = details(context)
  } catch (err) {
    if (err instanceof EventBuildError) throw err
    throw new EventBuildError((err as Error).message)
  }
  return event
}
