/**
 * An AWS SDK request handler that sends through the relay's own HTTP client (`ctx.http`)
 * instead of the SDK's sockets, so S3 traffic gets the same SSRF guard (a subscription
 * cannot aim `endpoint` at 169.254.169.254 or the cluster network unless
 * RELAY_EGRESS_ALLOW says so), keep-alive pools and timeouts as every other plugin, and
 * so each exchange can be recorded for the attempt log.
 *
 * S3 clients are cached across deliveries, but `ctx` belongs to one delivery: the
 * handler finds it in an AsyncLocalStorage that `withDelivery` sets around each send.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Exchange, HttpClient } from '@webhook-relay/plugin-sdk'

/** The parts of the SDK's HttpRequest this handler reads (from @smithy/types). */
interface SdkRequest {
  method: string
  protocol: string
  hostname: string
  port?: number
  path: string
  query?: Record<string, string | (string | null)[] | null>
  headers: Record<string, string>
  body?: unknown
}

interface DeliveryScope {
  readonly http: HttpClient
  readonly timeoutMs: number
  readonly signal: AbortSignal
  /** Every exchange of this delivery, in order. */
  readonly exchanges: Exchange[]
}

const scope = new AsyncLocalStorage<DeliveryScope>()

/** Runs `fn` (which sends S3 commands) with this delivery's HTTP client and limits. */
export function withDelivery<T>(delivery: Omit<DeliveryScope, 'exchanges'>, fn: (exchanges: readonly Exchange[]) => Promise<T>): Promise<T> {
  const exchanges: Exchange[] = []
  return scope.run({ ...delivery, exchanges }, () => fn(exchanges))
}

/** As the SDK escapes query components (RFC 3986: also !'()*). */
const escape = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function queryString(query: SdkRequest['query']): string {
  const parts: string[] = []
  for (const key of Object.keys(query ?? {}).sort()) {
    const value = query![key]
    if (value === null || value === undefined) parts.push(escape(key))
    else for (const v of Array.isArray(value) ? value : [value]) parts.push(v === null ? escape(key) : `${escape(key)}=${escape(v)}`)
  }
  return parts.length ? `?${parts.join('&')}` : ''
}

function bodyBytes(body: unknown): Buffer | null {
  if (body === undefined || body === null) return null
  if (typeof body === 'string') return Buffer.from(body)
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  // The plugin only ever sends Buffers; a stream here would be a programming error.
  throw new Error('s3 plugin: request bodies must be buffered')
}

export const relayRequestHandler = {
  async handle(request: SdkRequest, options?: { abortSignal?: AbortSignal }) {
    const current = scope.getStore()
    if (!current) throw new Error('s3 plugin: S3 request sent outside a delivery')
    const port = request.port ? `:${request.port}` : ''
    const url = `${request.protocol}//${request.hostname}${port}${request.path}${queryString(request.query)}`
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      // undici refuses `Expect: 100-continue`, and the body is already in memory anyway.
      if (name.toLowerCase() !== 'expect') headers[name] = value
    }
    const body = bodyBytes(request.body)
    const recorded = { url, method: request.method, headers, body }
    const signals = [current.signal, options?.abortSignal].filter((s): s is AbortSignal => s !== undefined)
    try {
      const res = await current.http.request({ url, method: request.method, headers, body, timeoutMs: current.timeoutMs, signal: AbortSignal.any(signals) })
      current.exchanges.push({ request: recorded, response: res })
      // A copy: the SDK re-prototypes the body it is given, and the recorded one must stay a Buffer.
      return { response: { statusCode: res.status, headers: res.headers, body: new Uint8Array(res.body) } }
    } catch (err) {
      current.exchanges.push({ request: recorded })
      throw err
    }
  },
  updateHttpClientConfig(): void {},
  httpHandlerConfigs(): Record<string, never> {
    return {}
  },
}
