/**
 * Nunjucks templates over one delivery, for plugins that build messages from an event
 * (Slack, Discord, email, PagerDuty, …): the fields every template sees, compiled
 * templates kept per source string (a subscription renders the same few templates for
 * every event), text or HTML (auto-escaped) output, and plugin-specific filters.
 *
 * Nunjucks is not a sandbox: `"".constructor.constructor("…")()` reaches Function.
 * Importing this module makes the nunjucks runtime refuse `constructor`, `__proto__`,
 * `prototype` and the legacy accessor lookups, which closes that door, but templates are
 * still admin configuration (only the bearer-token holder writes subscriptions);
 * untrusted authors should use a transform, which runs in an isolate.
 */
import nunjucks from 'nunjucks'
import { jsonOfBody } from './json-depth.ts'
import type { DeliveryInput } from './contract.ts'
import { metered, meteredFilter, meteredRange, TemplateBudgetExceeded } from './template-budget.ts'

/** Distinct template strings kept compiled per environment; beyond this the oldest is dropped. */
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
    /** Lower-case names. */
    readonly headers: Readonly<Record<string, string>>
  }
  /** The payload parsed as JSON, or undefined when it is not JSON (or nested too deep to walk). */
  readonly payload: unknown
  /** The payload as UTF-8 text. */
  readonly body: string
  readonly delivery: { readonly id: string; readonly webhookId: string; readonly attempt: number }
}

/** The payload parsed; the event's own parse when the payload is the event as received. */
function payloadJson(event: DeliveryInput<unknown>['event'], payload: DeliveryInput<unknown>['payload']): unknown {
  return payload.body === event.body && payload.contentType === event.contentType ? event.json : jsonOfBody(payload.contentType, payload.body)
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
    payload: payloadJson(event, payload),
    body: payload.body.toString('utf8'),
    delivery: { id: delivery.id, webhookId: delivery.webhookId, attempt: delivery.attempt },
  }
}

/** 'html' escapes what it interpolates, so a payload cannot inject markup; 'text' does not. */
export type TemplateKind = 'text' | 'html'
export type TemplateFilter = (value: unknown, ...args: unknown[]) => unknown

export interface Templates {
  /** Renders `source`; throws an Error naming the template on a syntax or render error. */
  render(name: string, source: string, context: TemplateContext, kind?: TemplateKind): string
}

/** A template set with the built-in `json` filter plus the plugin's own filters. */
export function createTemplates(filters: Readonly<Record<string, TemplateFilter>> = {}): Templates {
  // No loaders: {% include %} and {% import %} cannot read files.
  const environments: Record<TemplateKind, nunjucks.Environment> = {
    text: new nunjucks.Environment([], { autoescape: false, throwOnUndefined: false }),
    html: new nunjucks.Environment([], { autoescape: true, throwOnUndefined: false }),
  }
  for (const env of Object.values(environments)) {
    // `json`: like the built-in `dump`, but always a valid JSON value (undefined becomes null).
    env.addFilter('json', (value: unknown) => JSON.stringify(value ?? null))
    for (const [name, fn] of Object.entries(filters)) env.addFilter(name, fn)
    // Every filter, built-in or the plugin's, and range() spend the render's budget (template-budget.ts).
    const all = (env as unknown as { filters: Record<string, TemplateFilter> }).filters
    for (const [name, fn] of Object.entries(all)) env.addFilter(name, meteredFilter(fn))
    env.addGlobal('range', meteredRange)
  }
  const compiled = new Map<string, nunjucks.Template>()
  const compile = (source: string, kind: TemplateKind) => {
    const key = `${kind}:${source}`
    let template = compiled.get(key)
    if (!template) {
      // eagerCompile: a syntax error surfaces here, once, rather than at first render.
      template = new nunjucks.Template(source, environments[kind], undefined, true)
      if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string)
      compiled.set(key, template)
    }
    return template
  }
  return {
    render(name, source, context, kind = 'text') {
      try {
        return metered(() => compile(source, kind).render(context))
      } catch (err) {
        if (err instanceof TemplateBudgetExceeded) {
          throw new TemplateBudgetExceeded(`template ${name} was stopped: ${err.message}; a template must stay small, do heavy work in a transform`, { cause: err })
        }
        throw new Error(`template ${name}: ${(err as Error).message.replace(/\s+/g, ' ').trim()}`, { cause: err })
      }
    },
  }
}

export { TEMPLATE_BUDGET, TemplateBudgetExceeded } from './template-budget.ts'
