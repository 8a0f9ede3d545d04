/**
 * Builds the Alert API v2 request from the config's templates. Limits are Opsgenie's:
 * message up to 130 characters, description 15000, source 100, entity 512, note 25000,
 * tags 50 each (all cut, since a long title is still a title), details 8000 together
 * (values cut to fit, entries past the budget left out), and alias up to 512 (an error,
 * since a cut alias would not match the alert a later close is meant for).
 */
import type { OpsgenieConfig } from './config.ts'
import {
  DEFAULT_ACTION,
  DEFAULT_ALIAS,
  DEFAULT_DESCRIPTION,
  DEFAULT_MESSAGE,
  DEFAULT_PRIORITY,
  DEFAULT_SOURCE,
} from './config.ts'
import { render, type TemplateContext } from './template.ts'

export const ACTIONS: readonly string[] = ['create', 'acknowledge', 'close']
export const PRIORITIES: readonly string[] = ['P1', 'P2', 'P3', 'P4', 'P5']
export const MAX_MESSAGE_CHARS = 130
export const MAX_ALIAS_CHARS = 512
export const MAX_DESCRIPTION_CHARS = 15_000
export const MAX_SOURCE_CHARS = 100
export const MAX_ENTITY_CHARS = 512
export const MAX_NOTE_CHARS = 25_000
export const MAX_TAG_CHARS = 50
export const MAX_DETAILS_CHARS = 8000

export interface Responder {
  type: string
  id?: string
  name?: string
  username?: string
}

/** POST /v2/alerts. */
export interface CreateAlert {
  message: string
  alias: string
  description?: string
  responders?: Responder[]
  tags?: string[]
  details?: Record<string, string>
  entity?: string
  source: string
  priority: string
  note?: string
}

/** POST /v2/alerts/{alias}/acknowledge|close?identifierType=alias. */
export interface AlertActionBody {
  source: string
  note?: string
}

export interface AlertRequest {
  action: string
  alias: string
  /** Path and query below the API origin. */
  path: string
  body: CreateAlert | AlertActionBody
}

/** A config or template problem: retrying the same event renders the same thing. */
export class AlertBuildError extends Error {
  override name = 'AlertBuildError'
}

/** At most `max` UTF-16 units, the last one an ellipsis when cut; never half a surrogate pair. */
export function cut(value: string, max: number): string {
  if (value.length <= max) return value
  let head = value.slice(0, max - 1)
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1)
  return `${head}…`
}

function optional(name: string, source: string | undefined, context: TemplateContext, max: number): string | undefined {
  if (source === undefined) return undefined
  const value = render(name, source, context).trim()
  return value === '' ? undefined : cut(value, max)
}

function tags(sources: readonly string[] | undefined, context: TemplateContext): string[] | undefined {
  if (!sources) return undefined
  const out = new Set<string>()
  sources.forEach((source, i) => {
    const tag = render(`tags[${i}]`, source, context).trim()
    // A tag is a label, not prose: cut without an ellipsis.
    if (tag !== '') out.add(tag.slice(0, MAX_TAG_CHARS))
  })
  return out.size === 0 ? undefined : [...out]
}

function details(sources: Readonly<Record<string, string>> | undefined, context: TemplateContext): Record<string, string> | undefined {
  if (!sources) return undefined
  const out: Record<string, string> = {}
  let used = 0
  for (const [key, source] of Object.entries(sources)) {
    const value = render(`details.${key}`, source, context).trim()
    if (value === '') continue
    const room = MAX_DETAILS_CHARS - used - key.length
    // Once the budget is spent, later entries are left out: the alert matters more than its extras.
    if (room < 2) continue
    const kept = cut(value, room)
    out[key] = kept
    used += key.length + kept.length
  }
  return Object.keys(out).length === 0 ? undefined : out
}

export function buildAlertRequest(config: OpsgenieConfig, context: TemplateContext): AlertRequest {
  let action: string, alias: string, source: string, note: string | undefined
  try {
    action = render('action', config.action ?? DEFAULT_ACTION, context).trim()
    alias = render('alias', config.alias ?? DEFAULT_ALIAS, context).trim()
    source = render('source', config.source ?? DEFAULT_SOURCE, context).trim()
    note = optional('note', config.note, context, MAX_NOTE_CHARS)
  } catch (err) {
    throw new AlertBuildError((err as Error).message)
  }
  if (!ACTIONS.includes(action)) throw new AlertBuildError(`action rendered "${action}"; expected ${ACTIONS.join(', ')}`)
  if (alias === '') throw new AlertBuildError('alias rendered empty')
  if (alias.length > MAX_ALIAS_CHARS) throw new AlertBuildError(`alias is ${alias.length} characters; Opsgenie allows ${MAX_ALIAS_CHARS}`)
  if (source === '') throw new AlertBuildError('source rendered empty')
  source = cut(source, MAX_SOURCE_CHARS)

  // Acknowledge and close only name the alert (by alias); the alert's content is for create.
  if (action !== 'create') {
    const body: AlertActionBody = note === undefined ? { source } : { source, note }
    return { action, alias, path: `/v2/alerts/${encodeURIComponent(alias)}/${action}?identifierType=alias`, body }
  }

  try {
    const message = render('message', config.message ?? DEFAULT_MESSAGE, context).trim()
    const priority = render('priority', config.priority ?? DEFAULT_PRIORITY, context).trim()
    if (message === '') throw new AlertBuildError('message rendered empty')
    if (!PRIORITIES.includes(priority)) throw new AlertBuildError(`priority rendered "${priority}"; expected ${PRIORITIES.join(', ')}`)
    const body: CreateAlert = { message: cut(message, MAX_MESSAGE_CHARS), alias, source, priority }
    const description = optional('description', config.description ?? DEFAULT_DESCRIPTION, context, MAX_DESCRIPTION_CHARS)
    const entity = optional('entity', config.entity, context, MAX_ENTITY_CHARS)
    const tagList = tags(config.tags, context)
    const detailMap = details(config.details, context)
    if (description) body.description = description
    if (entity) body.entity = entity
    if (tagList) body.tags = tagList
    if (detailMap) body.details = detailMap
    if (config.responders) body.responders = config.responders.map((r) => ({ ...r }))
    if (note) body.note = note
    return { action, alias, path: '/v2/alerts', body }
  } catch (err) {
    if (err instanceof AlertBuildError) throw err
    throw new AlertBuildError((err as Error).message)
  }
}
