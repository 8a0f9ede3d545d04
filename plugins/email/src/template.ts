/**
 * Nunjucks templates over one delivery: the fields every template sees, and rendering
 * with compiled templates kept per source string (a subscription renders the same few
 * templates for every event, so parsing them once matters).
 *
 * Nunjucks does not sandbox: a template can reach JavaScript objects. Templates come
 * from subscription configs, which only the admin-token holder can write, the same
 * trust as the rest of the config. Untrusted authors should use a transform instead.
 */
import nunjucks from 'nunjucks'
import type { DeliveryInput } from '@webhook-relay/core/plugin'

/** Distinct template strings kept compiled; beyond this the oldest is dropped. */
const MAX_COMPILED = 500

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
  return {
    event: {
      id: event.id,
      sourceId: event.sourceId,
      sourceSlug: event.sourceSlug,
      receivedAt: event.receivedAt.toISOString(),
      contentType: event.contentType,
      headers: event.headers,
    },
    payload: parseJson(payload.contentType, payload.body),
    body: payload.body.toString('utf8'),
    delivery: { id: delivery.id, webhookId: delivery.webhookId, attempt: delivery.attempt },
  }
}

/** HTML bodies escape what they interpolate, so a payload cannot inject markup; text bodies do not. */
const environments = {
  text: new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false }),
  html: new nunjucks.Environment(null, { autoescape: true, throwOnUndefined: false }),
}
export type TemplateKind = keyof typeof environments
const compiled = new Map<string, nunjucks.Template>()

function compile(source: string, kind: TemplateKind): nunjucks.Template {
  const cacheKey = `${kind}:${source}`
  let template = compiled.get(cacheKey)
  if (!template) {
    // eagerCompile: a syntax error surfaces here, once, rather than at first render.
    template = new nunjucks.Template(source, environments[kind], undefined, true)
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string)
    compiled.set(cacheKey, template)
  }
  return template
}

/** Renders `source`; throws an Error naming the template on a syntax or render error. */
export function render(name: string, source: string, context: TemplateContext, kind: TemplateKind = 'text'): string {
  try {
    return compile(source, kind).render(context)
  } catch (err) {
    throw new Error(`template ${name}: ${(err as Error).message.replace(/\s+/g, ' ').trim()}`, { cause: err })
  }
}
