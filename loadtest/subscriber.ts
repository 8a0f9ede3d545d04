/**
 * Recording subscriber for the load tests, its own process (it must not share an event
 * loop with the relay or the load generator). One listener per endpoint, each on its
 * own port, so each is its own origin to the relay's HTTP pool, as separate receivers
 * are in production. Each endpoint answers after `delayMs` and fails a `failRatio`
 * share of requests with 503.
 *
 *   node loadtest/subscriber.ts '{"fast":{},"slow":{"delayMs":2000},"flaky":{"failRatio":0.5}}'
 *
 * Prints one JSON line `{ "fast": "http://127.0.0.1:PORT", … }`. On the control port
 * (`control` in that line): GET /records returns, per endpoint, every request as
 * `[webhook-id, arrival ms, status]`; GET /counts the distinct webhook-ids answered 200
 * per endpoint (cheap enough to poll while draining); POST /reset clears both.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface EndpointBehaviour {
  delayMs?: number
  failRatio?: number
}
export type Arrival = [webhookId: string, at: number, status: number]

const spec = JSON.parse(process.argv[2] ?? '{"fast":{}}') as Record<string, EndpointBehaviour>
const records = new Map<string, Arrival[]>(Object.keys(spec).map((k) => [k, []]))
const okIds = new Map<string, Set<string>>(Object.keys(spec).map((k) => [k, new Set()]))

function listen(server: Server): Promise<string> {
  server.keepAliveTimeout = 60_000
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)))
}

const urls: Record<string, string> = {}
for (const [name, b] of Object.entries(spec)) {
  const list = records.get(name)!
  const ok = okIds.get(name)!
  const server = createServer((req, res) => {
    // Drain the body before answering, as a real receiver reads what it verifies.
    req.resume()
    req.on('end', () => {
      const status = b.failRatio && Math.random() < b.failRatio ? 503 : 200
      const id = String(req.headers['webhook-id'] ?? '')
      list.push([id, Date.now(), status])
      if (status === 200) ok.add(id)
      const send = () => {
        if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'unavailable')
      }
      if (b.delayMs) setTimeout(send, b.delayMs)
      else send()
    })
  })
  urls[name] = await listen(server)
}

const control = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/records') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries(records)))
  } else if (req.method === 'GET' && req.url === '/counts') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Object.fromEntries([...okIds].map(([k, v]) => [k, v.size]))))
  } else if (req.method === 'POST' && req.url === '/reset') {
    for (const list of records.values()) list.length = 0
    for (const set of okIds.values()) set.clear()
    res.end('{}')
  } else res.writeHead(404).end()
})
console.log(JSON.stringify({ ...urls, control: await listen(control) }))
