/**
 * The relay's tracer and the W3C trace context helpers every stage uses. The stream
 * entries carry only a `traceparent` (field `tp`), so the helpers here convert between
 * that string, span contexts and contexts. `isTracing()` is false unless the SDK was
 * started (sdk.ts); call sites check it before creating anything.
 */
import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'

export const TRACER_NAME = '@webhook-relay/core'

let enabled = false
const w3c = new W3CTraceContextPropagator()

export const tracer = trace.getTracer(TRACER_NAME)

export function isTracing(): boolean {
  return enabled
}

/** Called by startTelemetry; tests that register their own provider call it too. */
export function setTracing(on: boolean): void {
  enabled = on
}

/** `traceparent` (and `tracestate` when set) of a span or a context's span. */
export function traceHeadersOf(target: Span | Context | undefined): Record<string, string> {
  if (!target) return {}
  const ctx = 'spanContext' in target ? trace.setSpan(ROOT_CONTEXT, target) : target
  const carrier: Record<string, string> = {}
  w3c.inject(ctx, carrier, { set: (c, k, v) => (c[k] = v) })
  return carrier
}

export function traceparentOf(target: Span | Context | undefined): string | undefined {
  return traceHeadersOf(target).traceparent
}

/** The remote span context a `traceparent` names, or undefined when it is absent or malformed. */
export function spanContextFrom(traceparent: string | null | undefined, tracestate?: string): SpanContext | undefined {
  if (!traceparent) return undefined
  const ctx = w3c.extract(ROOT_CONTEXT, { traceparent, tracestate }, {
    get: (c, k) => c[k as 'traceparent'],
    keys: (c) => Object.keys(c),
  })
  return trace.getSpanContext(ctx)
}

/** A context whose parent is the remote span a `traceparent` names (ROOT when none). */
export function contextFrom(traceparent: string | null | undefined): Context {
  const sc = spanContextFrom(traceparent)
  return sc ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT
}

export function linkTo(sc: SpanContext | undefined, attributes?: Link['attributes']): Link[] {
  return sc ? [{ context: sc, attributes }] : []
}

/** Runs fn with `span` active (so child spans and log lines see it); plain call when no span. */
export function withSpan<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn()
}

/** Ends a span with an error status taken from err. */
export function failSpan(span: Span | undefined, err: unknown): void {
  if (!span) return
  const e = err instanceof Error ? err : new Error(String(err))
  span.recordException(e)
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message })
}

/** Awaits fn inside `span` (if any), marks the span failed on a throw, and always ends it. */
export async function traced<T>(span: Span | undefined, fn: () => Promise<T>): Promise<T> {
  if (!span) return fn()
  try {
    return await context.with(trace.setSpan(context.active(), span), fn)
  } catch (err) {
    failSpan(span, err)
    throw err
  } finally {
    span.end()
  }
}
