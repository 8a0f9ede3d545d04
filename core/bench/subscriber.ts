/**
 * Benchmark subscriber, its own process: answers 200 at once, records arrival count and
 * ingest-to-delivery latency (now minus the `t` the load generator put in the body),
 * and the webhook-ids it saw (duplicates). GET /stats returns the numbers; POST
 * /stats/reset clears them.
 */
import { createServer } from 'node:http'

const port = Number(process.argv[2] ?? 0)
let latencies: number[] = []
let ids = new Set<string>()
let duplicates = 0
let first = 0
let last = 0

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    const sorted = [...latencies].sort((a, b) => a - b)
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
    res.end(JSON.stringify({ received: latencies.length, distinct: ids.size, duplicates, first, last, p50: pct(50), p95: pct(95), p99: pct(99), max: pct(100) }))
    return
  }
  if (req.url === '/stats/reset') {
    latencies = []
    ids = new Set()
    duplicates = 0
    first = last = 0
    res.end('{}')
    return
  }
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const now = Date.now()
    const id = String(req.headers['webhook-id'] ?? '')
    if (ids.has(id)) duplicates++
    else ids.add(id)
    const m = /"t":(\d+)/.exec(Buffer.concat(chunks).toString('latin1', 0, 64))
    if (m) latencies.push(now - Number(m[1]))
    first ||= now
    last = now
    res.end('ok')
  })
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1', () => {
  const addr = server.address()
  console.log(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : port }))
})
