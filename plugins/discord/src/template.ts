/**
 * Nunjucks over one delivery: the fields a template sees, compiled templates kept per
 * source string (a subscription renders the same template for every event), and a
 * guard against the usual escape from a template into JavaScript.
 *
 * Nunjucks is not a sandbox: `"".constructor.constructor("…")()` reaches Function. This
 * package's copy of the runtime refuses `constructor`, `__proto__` and `prototype`
 * lookups, which closes that door, but templates are still admin configuration (only the
 * bearer-token holder writes subscriptions); untrusted authors should use a transform,
 * which runs in an isolate.
 */
import nunjucks from 'nunjucks'
import type { DeliveryInput } from '@webhook-relay/core/plugin'

/** Distinct template strings kept compiled; beyond this the oldest is dropped. */
const MAX_COMPILED = 500
const BLOCKED_NAMES: ReadonlySet<string> = new Set(['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'])

interface Runtime {
  memberLookup(obj: unknown, name: unknown): unknown
  contextOrFrameLookup(context: unknown, frame: unknown, name: unknown): unknown
}
const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime
const memberLookup = runtime.memberLookup
const contextOrFrameLookup = runtime.contextOrFrameLookup
runtime.memberLookup = (obj, name) => (BLOCKED_NAMES.has(String(name)) ? undefined : memberLookup(obj, name))
runtime.contextOrFrameLookup = (context, frame, name) => (BLOCKED_NAMES.has(String(name)) ? undefined : contextOrFrameLookup(context, frame, name))

export interface TemplateContext {
  readonly event: {
    readonly id: string
    readonly sourceId: string
    readonly sourceSlug: string
    /** ISO 8601, UTC. */
    readonly receivedAt: string
    readonly contentType: string | null
    readonly headers: Readonly<Record<string, string>>
  }
  /** The payload parsed as JSON, or undefined when it is not JSON. */
  readonly payload: unknown
  /** The payload as UTF-8 text. */
  readonly body: string
  readonly delivery: { readonly id: string; readonly webhookId: string; readonly attempt: number }
}

function parseJson(contentType: string, body: Buffer): unknown {
  if (!/json/i.test(contentType)) return undefined
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

export function templateContext(input: Pick<DeliveryInput<unknown>, 'event' | 'payload' | 'delivery'>): TemplateContext {
  const { event, payload, delivery } = input
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(event.headers)) headers[k.toLowerCase()] = v
  return {
    event: {
      id: event.id,
      sourceId: event.sourceId,
      sourceSlug: event.sourceSlug,
      receivedAt: event.receivedAt.toISOString(),
      contentType: event.contentType,
      headers,
    },
    payload: parseJson(payload.contentType, payload.body),
    body: payload.body.toString('utf8'),
    delivery: { id: delivery.id, webhookId: delivery.webhookId, attempt: delivery.attempt },
  }
}


// No loaders: {% include %} and {% import %} cannot read files.
const environment = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false })
/** `json`: like the built-in `dump`, but always a valid JSON value (undefined becomes null). */
environment.addFilter('json', (value: unknown) => JSON.stringify(value ?? null))
const compiled = new Map<string, nunjucks.Template>()

function compile(source: string): nunjucks.Template {
  let template = compiled.get(source)
  if (!template) {
    // eagerCompile: a syntax error surfaces here, once, rather than at first render.
    template = new nunjucks.Template(source, environment, undefined, true)
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string)
    compiled.set(source, template)
  }
  return template
}

/** Renders `source`; throws an Error naming the template on a syntax or render error. */
export function render(name: string, source: string, context: TemplateContext): string {
  try {
    return compile(source).render(context)
  } catch (err) {
    throw new Error(`template ${name}: ${(err as Error).message.replace(/\s+/g, ' ').trim()}`, { cause: err })
  }
}
