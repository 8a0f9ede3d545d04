/**
 * Demo traffic for the local stack (docs/observability.md): creates two sources with
 * http-relay subscriptions pointing at the demo subscriber's four behaviours, then sends
 * a bounded number of webhooks at a steady rate and prints how the relay answered.
 * Safe to run again: existing sources and subscriptions are reused.
 *
 *   RELAY_URL       relay API base (default http://api:8080 inside compose)
 *   RELAY_ADMIN_TOKEN
 *   SUBSCRIBER_URL  base URL the relay delivers to (default http://demo-subscriber:9000)
 *   COUNT           webhooks to send (default 600)
 *   RATE            webhooks per second (default 10)
 */
const RELAY_URL = process.env.RELAY_URL ?? 'http://api:8080'
const TOKEN = process.env.RELAY_ADMIN_TOKEN ?? ''
const SUBSCRIBER_URL = process.env.SUBSCRIBER_URL ?? 'http://demo-subscriber:9000'
const COUNT = Number(process.env.COUNT ?? 600)
const RATE = Number(process.env.RATE ?? 10)
const READY_TIMEOUT_MS = 120_000

const SOURCES = ['demo-github', 'demo-stripe'] as const
/** Every source gets one subscription per subscriber behaviour (see demo-subscriber/server.ts). */
const BEHAVIOURS: Record<(typeof SOURCES)[number], string[]> = {
  'demo-github': ['/ok', '/flaky', '/reject'],
  'demo-stripe': ['/ok', '/slow'],
}

interface Source { id: string; slug: string }
interface Subscription { id: string; config: { url?: string } }

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${RELAY_URL}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

async function waitReady(): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${RELAY_URL}/readyz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 1000))
  }
  throw new Error(`relay at ${RELAY_URL} not ready after ${READY_TIMEOUT_MS / 1000}s`)
}

async function ensureSetup(): Promise<void> {
  const existing = (await api<{ items: Source[] }>('GET', '/sources')).items
  for (const slug of SOURCES) {
    const source = existing.find((s) => s.slug === slug) ?? (await api<Source>('POST', '/sources', { name: `Demo ${slug}`, slug }))
    const subs = (await api<{ items: Subscription[] }>('GET', `/subscriptions?sourceId=${source.id}`)).items
    for (const path of BEHAVIOURS[slug]) {
      const url = `${SUBSCRIBER_URL}${path}`
      if (subs.some((s) => s.config.url === url)) continue
      await api('POST', '/subscriptions', { sourceId: source.id, action: 'http-relay', config: { url, timeoutMs: 5000 }, description: `demo ${path}` })
      console.log(`subscribed ${slug} -> ${url}`)
    }
  }
}

async function sendAll(): Promise<void> {
  const answers = new Map<number | string, number>()
  const started = Date.now()
  const inflight: Promise<void>[] = []
  for (let i = 0; i < COUNT; i++) {
    // Pace to RATE per second against the wall clock.
    const due = started + (i * 1000) / RATE
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
    const slug = SOURCES[i % SOURCES.length] as string
    const body = JSON.stringify({ type: 'demo.event', n: i, at: new Date().toISOString() })
    inflight.push(
      fetch(`${RELAY_URL}/in/${slug}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then((res) => res.status, (err: Error) => err.message)
        .then((key) => { answers.set(key, (answers.get(key) ?? 0) + 1) }),
    )
    if ((i + 1) % (RATE * 10) === 0) console.log(`sent ${i + 1}/${COUNT}`)
  }
  await Promise.all(inflight)
  console.log(`sent ${COUNT} webhooks in ${((Date.now() - started) / 1000).toFixed(1)}s; answers: ${JSON.stringify(Object.fromEntries(answers))}`)
}

await waitReady()
await ensureSetup()
await sendAll()
console.log('Open Grafana at http://localhost:3000 (dashboards: Webhook Relay folder).')
