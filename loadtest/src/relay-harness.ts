/**
 * A throwaway relay for one load-test run: its own database and Redis key prefix (both
 * removed at the end, as in core/bench/bench.ts), the API as one process and the worker
 * as N processes, and the recording subscriber. Every process is a child of the runner,
 * so /proc gives their memory.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import pg from 'pg'
import { migrate } from '../../core/src/db/migrate.ts'
import type { EndpointBehaviour } from '../subscriber.ts'

export const PG_HOST = process.env.LOADTEST_DATABASE_HOST ?? 'postgres://postgres@127.0.0.1:5432'
export const REDIS_URL = process.env.LOADTEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const RELAY_BIN = fileURLToPath(new URL('../../core/src/bin/relay.ts', import.meta.url))
const SUBSCRIBER = fileURLToPath(new URL('../subscriber.ts', import.meta.url))
// Four workers booting beside a test suite on 2 cores took over 30 s once.
const READY_TIMEOUT_MS = 90_000
const STOP_GRACE_MS = 3_000

export interface RelayOptions {
  workers: number
  /** RELAY_* overrides for api and workers alike (tuning sweeps, retry schedule). */
  env?: Record<string, string>
  /** Subscriber endpoints by name. */
  endpoints?: Record<string, EndpointBehaviour>
}

export interface RunningRelay {
  base: string
  databaseUrl: string
  token: string
  apiPid: number
  workerPids: number[]
  /** Endpoint name → URL, plus `control`. */
  subscriber: Record<string, string>
  post(path: string, body: unknown): Promise<{ id: string }>
  stop(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(buf.slice(0, nl))
    })
    child.on('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited ${code}`)))
  })
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} never became ready`)
}

export async function startRelay(opts: RelayOptions): Promise<RunningRelay> {
  const id = randomBytes(4).toString('hex')
  const dbName = `relay_loadtest_${id}`
  const databaseUrl = `${PG_HOST}/${dbName}`
  const prefix = `loadtest:${id}:`
  const token = randomBytes(24).toString('base64url')
  const children: ChildProcess[] = []
  const start = (args: string[], env: Record<string, string>, stdout: 'pipe' | 'ignore' = 'ignore') => {
    const c = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit'] })
    children.push(c)
    return c
  }
  const stop = async () => {
    for (const c of children) c.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, STOP_GRACE_MS))
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length) await redis.del(...keys)
    redis.disconnect()
    const admin = new pg.Client({ connectionString: `${PG_HOST}/postgres` })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`)
    await admin.end()
  }

  try {
    await migrate(databaseUrl)
    const sub = start([SUBSCRIBER, JSON.stringify(opts.endpoints ?? { fast: {} })], {}, 'pipe')
    const subscriber = JSON.parse(await firstLine(sub)) as Record<string, string>
    const relayEnv = {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      RELAY_REDIS_PREFIX: prefix,
      RELAY_ADMIN_TOKEN: token,
      RELAY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      RELAY_EGRESS_ALLOW: '127.0.0.0/8',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...opts.env,
    }
    const apiPort = await freePort()
    const api = start([RELAY_BIN, 'api'], { ...relayEnv, PORT: String(apiPort) })
    const workers: ChildProcess[] = []
    const workerPorts: number[] = []
    for (let i = 0; i < opts.workers; i++) {
      const port = await freePort()
      workerPorts.push(port)
      workers.push(start([RELAY_BIN, 'worker'], { ...relayEnv, PORT: String(port) }))
    }
    const base = `http://127.0.0.1:${apiPort}`
    await Promise.all([waitReady(base), ...workerPorts.map((p) => waitReady(`http://127.0.0.1:${p}`))])
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
      return (await res.json()) as { id: string }
    }
    return { base, databaseUrl, token, apiPid: api.pid!, workerPids: workers.map((w) => w.pid!), subscriber, post, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
