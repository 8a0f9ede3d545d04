/**
 * The HTTP server span of `POST /in/:slug`, the root of a webhook's trace (or a child
 * of the sender's span when the sender sends a `traceparent`). Hooks are added only
 * when tracing is on, so with tracing off the ingest route runs exactly as before.
 */
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ATTR } from './attributes.ts'
import { isTracing, tracer } from './tracer.ts'

export const INGEST_ROUTE = '/in/:slug'

declare module 'fastify' {
  interface FastifyRequest {
    relaySpan?: Span
  }
}

const headerGetter = {
  get: (h: FastifyRequest['headers'], k: string) => h[k],
  keys: (h: FastifyRequest['headers']) => Object.keys(h),
}

/** Adds the span hooks to an encapsulated plugin scope (the ingest routes). No-op when tracing is off. */
export function traceIngestRequests(app: FastifyInstance): void {
  if (!isTracing()) return
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter)
    request.relaySpan = tracer.startSpan(`${request.method} ${INGEST_ROUTE}`, {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR.httpMethod]: request.method,
        [ATTR.httpRoute]: INGEST_ROUTE,
        [ATTR.urlPath]: request.url.split('?')[0],
      },
    }, parent)
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const span = request.relaySpan
    request.relaySpan = undefined
    if (span) {
      span.setAttribute(ATTR.httpStatus, reply.statusCode)
      // Server spans: only 5xx is the server's error; a 4xx is the sender's.
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
    done()
  })
  app.addHook('onRequestAbort', (request, done) => {
    const span = request.relaySpan
    request.relaySpan = undefined
    span?.setAttribute(ATTR.errorType, 'aborted')
    span?.end()
    done()
  })
}
