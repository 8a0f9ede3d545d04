/**
 * The outgoing HTTP client every action plugin gets as `ctx.http`.
 *
 * One undici Agent keeps a keep-alive pool per origin. Redirects are never followed (a
 * 3xx comes back as is): following one would let a receiver bounce us to an address
 * the guard never saw, and a moved webhook endpoint is the subscriber's to fix.
 *
 * SSRF guard in two places: a literal IP in the URL is checked here (a socket does not
 * resolve literals), and a host name is resolved and checked inside the socket's
 * lookup (see guarded-lookup.ts), so the connection goes to the checked address.
 */
import { isIP } from 'node:net'
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api'
import { Agent } from 'undici'
import type { Headers, HttpClient, HttpRequest, HttpResponse } from '../plugin/contract.ts'
import { EgressInvalidUrlError, EgressRefusedError } from './errors.ts'
import { compileAllowList, isForbidden } from './forbidden-address.ts'
import { guardedLookup, systemResolver, type Resolver } from './guarded-lookup.ts'
import { readCapped } from './read-capped.ts'
import { ATTR } from '../telemetry/attributes.ts'
import { isTracing, traced, traceHeadersOf, tracer } from '../telemetry/tracer.ts'

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** Enough for any error page worth recording; the rest is discarded unread. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024
export const DEFAULT_CONNECTIONS_PER_ORIGIN = 32
export const EGRESS_TIMEOUT = 'RELAY_ERR_EGRESS_TIMEOUT'

export interface HttpClientOptions {
  /** CIDRs reachable even though they are private/loopback/etc., e.g. ['10.20.0.0/16']. */
  allowCidrs: readonly string[]
  connectTimeoutMs?: number
  /** Applies when a request gives no timeoutMs; covers connect, headers and body. */
  requestTimeoutMs?: number
  maxResponseBytes?: number
  connectionsPerOrigin?: number
  /** DNS resolution; the system resolver unless a test injects a map. */
  resolve?: Resolver
}

export interface ClosableHttpClient extends HttpClient {
  close(): Promise<void>
}

export class EgressTimeoutError extends Error {
  readonly code = EGRESS_TIMEOUT
  constructor(origin: string, ms: number) {
    super(`no complete response from ${origin} within ${ms} ms`)
    this.name = 'EgressTimeoutError'
  }
}

function parseTarget(raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new EgressInvalidUrlError(raw, 'not an absolute URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EgressInvalidUrlError(raw, 'only http: and https: URLs are allowed')
  if (url.username || url.password) throw new EgressInvalidUrlError(url.origin, 'credentials in the URL are not allowed; use a header')
  return url
}

/** URL.hostname keeps IPv6 brackets; the guard and isIP want the bare address. */
function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const out: Headers = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

export function createHttpClient(opts: HttpClientOptions): ClosableHttpClient {
  const allow = compileAllowList(opts.allowCidrs)
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const defaultTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN,
    connect: {
      timeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      lookup: guardedLookup(opts.resolve ?? systemResolver, allow),
    },
  })

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const url = parseTarget(req.url)
    const host = bareHost(url)
    if (isIP(host) !== 0 && isForbidden(host, allow)) throw new EgressRefusedError(host, host)
    if (!isTracing()) return send(url, req, req.headers ?? {})

    const method = req.method ?? 'GET'
    // No url.full or url.path: webhook URLs often carry their secret in the path (Slack, Discord).
    const span = tracer.startSpan(method, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR.httpMethod]: method,
        [ATTR.serverAddress]: host,
        [ATTR.serverPort]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        [ATTR.urlScheme]: url.protocol.slice(0, -1),
      },
    })
    return traced(span, async () => {
      const res = await send(url, req, withClientSpanContext(req.headers ?? {}, span))
      span.setAttribute(ATTR.httpStatus, res.status)
      if (res.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR })
      return res
    })
  }

  async function send(url: URL, req: HttpRequest, headers: Headers): Promise<HttpResponse> {
    const timeoutMs = req.timeoutMs ?? defaultTimeoutMs
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
    try {
      const res = await agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method ?? 'GET',
        headers,
        body: req.body ?? null,
        signal,
      })
      const body = await readCapped(res.body, maxBytes)
      return { status: res.statusCode, headers: flattenHeaders(res.headers), body }
    } catch (err) {
      // Our timer fired (the caller's own signal keeps its own reason): say so plainly.
      if (timeout.aborted && !req.signal?.aborted) throw new EgressTimeoutError(url.origin, timeoutMs)
      throw err
    }
  }

  return { request, close: () => agent.close() }
}

/**
 * A plugin that propagates trace context (ctx.traceHeaders()) set `traceparent` from the
 * attempt's span; point it at this client span instead, so the receiver's spans hang
 * under the HTTP call. A request without it (the plugin chose not to propagate) keeps none.
 */
function withClientSpanContext(headers: Headers, span: Span): Headers {
  const names = Object.keys(headers).filter((k) => k.toLowerCase() === 'traceparent' || k.toLowerCase() === 'tracestate')
  if (!names.some((k) => k.toLowerCase() === 'traceparent')) return headers
  const out = { ...headers }
  for (const k of names) delete out[k]
  return { ...out, ...traceHeadersOf(span) }
}
