/**
 * Builds the Mattermost message for one delivery. The text comes from the subscription's
 * template, or, without one, a header line and the payload in a code block.
 *
 * Templates are deliberately tiny (`{{payload.order.id}}`, no logic): anything richer
 * belongs in the subscription's transform, which can reshape the payload first.
 */
import type { EventView, Payload } from '@webhook-relay/plugin-sdk'
import { MAX_BODY_CHARS, type MattermostConfig } from './config.ts'

/** The JSON body Mattermost's incoming webhooks take (the fields this plugin sets). */
export interface MattermostMessage {
  text: string
  channel?: string
  username?: string
  icon_url?: string
  icon_emoji?: string
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$-]+)*)\s*\}\}/g
const JSON_TYPE = /\bjson\b|\+json\b/i

function parsePayload(payload: Payload): unknown {
  if (!JSON_TYPE.test(payload.contentType)) return undefined
  try {
    return JSON.parse(payload.body.toString('utf8'))
  } catch {
    return undefined
  }
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let at = root
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}

function show(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Replaces each `{{path}}`; a path that leads nowhere renders as an empty string. */
export function render(template: string, data: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_match, path: string) => show(lookup(data, path.split('.'))))
}

/** A fence longer than any backtick run in the body, so the body cannot close it early. */
function fence(body: string): string {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length))
  return '`'.repeat(Math.max(3, longest + 1))
}

function truncate(text: string): string {
  if (text.length <= MAX_BODY_CHARS) return text
  return `${text.slice(0, MAX_BODY_CHARS)}\n… (${text.length - MAX_BODY_CHARS} more characters)`
}

function defaultText(event: EventView, json: unknown, payload: Payload): string {
  const body = truncate(json === undefined ? payload.body.toString('utf8') : JSON.stringify(json, null, 2))
  const f = fence(body)
  return `**Webhook from \`${event.sourceSlug}\`** (event ${event.id})\n${f}${json === undefined ? '' : 'json'}\n${body}\n${f}`
}

export function buildMessage(event: EventView, payload: Payload, config: MattermostConfig): MattermostMessage {
  const json = parsePayload(payload)
  const data = { payload: json, event: { id: event.id, source: event.sourceSlug, receivedAt: event.receivedAt.toISOString() } }
  const rendered = config.text === undefined ? '' : render(config.text, data).trim()
  const message: MattermostMessage = { text: rendered || defaultText(event, json, payload) }
  if (config.channel !== undefined) message.channel = config.channel
  if (config.username !== undefined) message.username = config.username
  if (config.iconUrl !== undefined) message.icon_url = config.iconUrl
  if (config.iconEmoji !== undefined) message.icon_emoji = config.iconEmoji
  return message
}
