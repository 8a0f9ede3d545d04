/**
 * The failover scenario, shared by its integration test and its benchmark
 * (loadtest/failover.ts): a worker process with deliveries in flight to a slow receiver
 * is killed with SIGKILL, a fresh worker process starts, and the clock runs until every
 * one of those deliveries has reached the receiver again and is recorded as succeeded.
 * The idle-time reclaim is left at its production default (120 s) and the leases are far
 * longer than the bound, so only the liveness keys can make it fast.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Status } from '../delivery/status.ts'
import { createTestEnv, eventually } from './relay-env.ts'
import { startSubscriber } from './subscriber.ts'
import { siblingModule } from '../util/sibling-module.ts'

const BIN = fileURLToPath(siblingModule('../bin/relay', import.meta.url))

export interface FailoverOptions {
  /** Deliveries in flight when the worker dies. */
  readonly inFlight: number
  /** How long the receiver takes to answer each request. */
  readonly receiverDelayMs: number
  /** Overrides for the workers' environment (RELAY_WORKER_LIVENESS_TTL_MS, …). */
  readonly env?: Record<string, string>
  /** Give up after this long from the second worker's start. */
  readonly timeoutMs?: number
}

export interface FailoverResult {
  /** The kill to the second worker's "worker started" line. */
  readonly secondWorkerUpMs: number
  /** The second worker's start to the last of the in-flight deliveries arriving again. */
  readonly allArrivedMs: number
  /** The second worker's start to every delivery row succeeded. */
  readonly allSucceededMs: number
  /** Requests after the kill beyond one per delivery (0: nothing sent twice by the takeover). */
  readonly duplicatesAfterKill: number
}

/** A worker child process whose log lines are watched for `msg`. */
function spawnWorker(env: Record<string, string>): ChildProcess & { started: Promise<number>; exited: Promise<void> } {
  const child = spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let buf = ''
  const started = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line.includes('"msg":"worker started"')) resolve(Date.now())
      }
    })
    child.on('exit', (code) => reject(new Error(`worker exited with ${code} before it started`)))
  })
  started.catch(() => {})
  child.stderr!.resume()
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return Object.assign(child, { started, exited })
}

export async function runFailover(o: FailoverOptions): Promise<FailoverResult> {
  const env = await createTestEnv('failover', {
    RELAY_RECLAIM_IDLE_MS: '120000',
    RELAY_DELIVERY_TIMEOUT_MAX_MS: '60000',
    RELAY_RECONCILE_GRACE_MS: '120000',
    ...o.env,
  })
  const sub = await startSubscriber(() => ({ delayMs: o.receiverDelayMs }))
  const children: ChildProcess[] = []
  try {
    const api = await env.start('api')
    const source = (await api.api('/api/v1/sources', { body: { name: 'failover', slug: 'failover' } })).body
    // The subscription's own timeout sets its lease (2 × 20 s + 10 s): far past the bound.
    await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/slow`, timeoutMs: 20_000 } } })

    const first = spawnWorker(env.env)
    children.push(first)
    await first.started
    for (let i = 0; i < o.inFlight; i++) {
      const r = await fetch(`${api.url}/in/failover`, { method: 'POST', body: JSON.stringify({ i }), headers: { 'content-type': 'application/json' } })
      if (r.status !== 202) throw new Error(`ingest answered ${r.status}`)
    }
    await eventually(() => sub.requests.length >= o.inFlight, `${o.inFlight} deliveries in flight at the receiver`, 30_000)
    first.kill('SIGKILL')
    await first.exited
    const killedAt = Date.now()
    const seenBefore = sub.requests.length

    const second = spawnWorker(env.env)
    children.push(second)
    const upAt = await second.started
    const timeoutMs = o.timeoutMs ?? 180_000
    const after = () => sub.requests.slice(seenBefore)
    await eventually(() => new Set(after().map((r) => r.body.toString())).size >= o.inFlight, 'every in-flight delivery to arrive again', timeoutMs, 20)
    const arrivedAt = after().at(-1)!.at
    await eventually(async () => {
      const [r] = await env.query<{ n: number }>('SELECT count(*)::int AS n FROM deliveries WHERE status = $1', [Status.succeeded])
      return r!.n === o.inFlight
    }, 'every delivery to be succeeded', timeoutMs, 50)
    const succeededAt = Date.now()
    return {
      secondWorkerUpMs: upAt - killedAt,
      allArrivedMs: Math.max(0, arrivedAt - upAt),
      allSucceededMs: succeededAt - upAt,
      duplicatesAfterKill: after().length - o.inFlight,
    }
  } finally {
    for (const c of children) c.kill('SIGKILL')
    await sub.close()
    await env.close()
  }
}

