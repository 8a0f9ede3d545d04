/**
 * A throwaway relay for one load-test run: its own database and Redis key prefix (both
 * removed at the end, as in core/bench/bench.ts), the API as one process and the worker
 * as N processes, and the recording subscriber. Every process is a child of the runner,
 * so /proc gives their memory.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { migrate } from '../../core/src/db/migrate.ts'
import { adminApi, dropRelayState, firstLine, listeningAddress, waitReady } from '../../core/src/testing/relay-process.ts'
import type { EndpointBehaviour } from '../subscriber.ts'

export const PG_HOST = process.env.LOADTEST_DATABASE_HOST ?? 'postgres://postgres@127.0.0.1:5432'
export const REDIS_URL = process.env.LOADTEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const RELAY_BIN = fileURLToPath(new URL('../../app/src/bin/relay.ts', import.meta.url))
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
  /** Another PostgreSQL server (loadtest/src/pg-cluster.ts); LOADTEST_DATABASE_HOST otherwise. */
  pgHost?: string
}

export interface RunningRelay {
  base: string
  databaseUrl: string
  token: string
  apiPid: number
  workerPids: number[]
  /** Endpoint name → URL, plus `control`. */
  subscriber: Record<string, string>
  /** POST to the admin API (`path` under /api/v1). */
  post(path: string, body: unknown): Promise<{ id: string }>
  stop(): Promise<void>
}

export async function startRelay(opts: RelayOptions): Promise<RunningRelay> {
  const id = randomBytes(4).toString('hex')
  const dbName = `relay_loadtest_${id}`
  const pgHost = opts.pgHost ?? PG_HOST
  const databaseUrl = `${pgHost}/${dbName}`
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
    await dropRelayState({ pgHost, database: dbName, redisUrl: REDIS_URL, redisPrefix: prefix })
  }

  try {
    await migrate(databaseUrl)
    const sub = start([SUBSCRIBER, JSON.stringify(opts.endpoints ?? { fast: {} })], {}, 'pipe')
    const subscriber = JSON.parse(await firstLine(sub)) as Record<string, string>
    const relayEnv = {
      NODE_ENV: 'production',
      // Several relays on one machine: each /metrics listener takes a free port.
      RELAY_METRICS_PORT: '0',
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
    // PORT=0: each process takes the port the kernel gives it and prints it.
    const api = start([RELAY_BIN, 'api'], { ...relayEnv, PORT: '0' }, 'pipe')
    const workers: ChildProcess[] = []
    for (let i = 0; i < opts.workers; i++) workers.push(start([RELAY_BIN, 'worker'], { ...relayEnv, PORT: '0' }, 'pipe'))
    const urls = await Promise.all([api, ...workers].map((c) => listeningAddress(c, READY_TIMEOUT_MS)))
    await Promise.all(urls.map((url) => waitReady(url, READY_TIMEOUT_MS)))
    const base = urls[0]!
    const admin = adminApi(base, token)
    const post = (path: string, body: unknown): Promise<{ id: string }> => admin('POST', path, body)
    return { base, databaseUrl, token, apiPid: api.pid!, workerPids: workers.map((w) => w.pid!), subscriber, post, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
