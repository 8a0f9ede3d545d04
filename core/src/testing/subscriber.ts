/**
 * A scriptable webhook receiver for integration tests and the benchmark: records each
 * request with its arrival time, and answers from a function of the request (so a test
 * can fail the first N attempts, answer 429 with Retry-After, or hang).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SubscriberRequest {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  readonly at: number
}
export interface SubscriberReply {
  status?: number
  headers?: Record<string, string>
  body?: string
  delayMs?: number
}

export interface Subscriber {
  readonly url: string
  readonly requests: SubscriberRequest[]
  /** Requests to a path, e.g. '/a'. */
  to(path: string): SubscriberRequest[]
  close(): Promise<void>
}

export async function startSubscriber(reply: (req: SubscriberRequest, nth: number) => SubscriberReply = () => ({})): Promise<Subscriber> {
  const requests: SubscriberRequest[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: SubscriberRequest = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() }
      requests.push(r)
      const out = reply(r, requests.filter((x) => x.path === r.path).length)
      const send = () => {
        if (res.destroyed) return
        res.writeHead(out.status ?? 200, out.headers ?? {})
        res.end(out.body ?? 'ok')
      }
      if (out.delayMs) setTimeout(send, out.delayMs)
      else send()
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
