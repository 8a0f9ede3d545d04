/**
 * Demo subscriber for the local stack: a receiver whose path picks its behaviour, so
 * the dashboards show successes, retries, slow calls and dead letters side by side.
 *
 *   /ok      200 after a few milliseconds
 *   /slow    200 after 0.5-3 s
 *   /flaky   503 with probability FLAKY_RATE (default 0.3), else 200: retries
 *   /reject  400: a permanent failure, so the delivery is dead-lettered
 *
 * Each request is logged as one JSON line with the webhook id and the trace id from
 * `traceparent`, so Loki links the subscriber's side to the relay's trace.
 */
import { createServer } from 'node:http'

const PORT = Number(process.env.PORT ?? 9000)
const FLAKY_RATE = Number(process.env.FLAKY_RATE ?? 0.3)
const SLOW_MIN_MS = 500
const SLOW_MAX_MS = 3000
const FAST_MAX_MS = 20

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const between = (min: number, max: number) => min + Math.random() * (max - min)

/** Status to answer for a path, after an optional delay. */
async function behaviour(path: string): Promise<number> {
  switch (path) {
    case '/ok':
      await sleep(between(1, FAST_MAX_MS))
      return 200
    case '/slow':
      await sleep(between(SLOW_MIN_MS, SLOW_MAX_MS))
      return 200
    case '/flaky':
      await sleep(between(1, FAST_MAX_MS))
      return Math.random() < FLAKY_RATE ? 503 : 200
    case '/reject':
      return 400
    default:
      return 404
  }
}

const server = createServer((req, res) => {
  const started = performance.now()
  let bytes = 0
  req.on('data', (chunk: Buffer) => { bytes += chunk.length })
  req.on('end', () => {
    const path = new URL(req.url ?? '/', 'http://subscriber').pathname
    void behaviour(path).then((status) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: status < 300 }))
      const traceparent = String(req.headers.traceparent ?? '')
      console.log(JSON.stringify({
        time: new Date().toISOString(),
        level: status < 500 ? 30 : 40,
        msg: 'webhook received',
        path,
        status,
        bytes,
        ms: Math.round(performance.now() - started),
        webhook_id: req.headers['webhook-id'],
        signed: typeof req.headers['webhook-signature'] === 'string',
        trace_id: traceparent.split('-')[1],
        span_id: traceparent.split('-')[2],
      }))
    })
  })
})

server.listen(PORT, () => console.log(JSON.stringify({ level: 30, msg: `demo subscriber listening on :${PORT}`, flakyRate: FLAKY_RATE })))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
