/**
 * A whole relay for integration tests, on real Postgres and Redis: each call gets its
 * own database (created, migrated, dropped at close) and its own Redis key prefix
 * (deleted at close), so test files run in parallel without seeing each other.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { Redis } from 'ioredis'
import pino from 'pino'
import { loadConfig, type Config, type Role } from '../config/config.ts'
import type { Composition } from '../composition.ts'
import { startRelay, type Relay } from '../relay.ts'
import { dropRelayState } from './relay-process.ts'

export const TEST_DATABASE_HOST = process.env.TEST_DATABASE_HOST ?? 'postgres://postgres@127.0.0.1:5432'
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789'

export interface TestEnv {
  readonly databaseUrl: string
  readonly redisPrefix: string
  /** Environment for a relay process (also for child processes the test spawns). */
  readonly env: Record<string, string>
  /** Starts a relay in this process; listening on 127.0.0.1 with an ephemeral port. */
  start(role?: Role, extraEnv?: Record<string, string>): Promise<TestRelay>
  /** A plain Redis client (no prefix applied: use env.redisPrefix). */
  redis(): Redis
  /** A pg client on the test database. */
  query<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>
  close(): Promise<void>
}

export interface TestRelay extends Relay {
  readonly url: string
  /** Base URL of the relay's /metrics listener. */
  readonly metricsUrl: string
  readonly config: Config
  /** fetch against the relay with the admin token; `body` is the parsed JSON answer. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read ad-hoc response shapes
  api(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>
}

/**
 * `baseEnv` overrides the test defaults (RELAY_PLUGINS names the plugins: the core loads
 * none of its own); `composition` is handed to every relay started in this process.
 */
export async function createTestEnv(name = 'test', baseEnv: Record<string, string> = {}, composition: Composition = {}): Promise<TestEnv> {
  const id = `${name.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`
  const dbName = `relay_t_${id}`
  const databaseUrl = `${TEST_DATABASE_HOST}/${dbName}`
  const redisPrefix = `t:${id}:`
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    RELAY_REDIS_PREFIX: redisPrefix,
    RELAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    RELAY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    RELAY_EGRESS_ALLOW: '127.0.0.0/8',
    HOST: '127.0.0.1',
    PORT: '0',
    RELAY_METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RELAY_RETRY_SCHEDULE: '200ms,400ms',
    RELAY_RETRY_MIN: '50ms',
    RELAY_RETRY_JITTER: '0',
    RELAY_RECLAIM_IDLE_MS: '3000',
    RELAY_RECONCILE_INTERVAL_MS: '500',
    RELAY_RECONCILE_GRACE_MS: '2000',
    RELAY_DELIVERY_TIMEOUT_MAX_MS: '2000',
    RELAY_SHUTDOWN_TIMEOUT_MS: '5000',
    RELAY_PG_POOL_SIZE: '4',
    // Tests sign in far more often than a person; the limit has its own test.
    RELAY_UI_SIGN_IN_LIMIT: '10000',
    // Tests of retries and dead letters fail a receiver on purpose, many times in a row;
    // the circuit breaker would hold their deliveries (its default waits a minute to
    // probe). Its own tests turn it on (core/test/integration/circuit-breaker.test.ts).
    RELAY_CIRCUIT_FAILURES: '0',
    ...baseEnv,
  }
  const relays: TestRelay[] = []
  const redisClients: Redis[] = []
  let pgClient: pg.Client | null = null

  const self: TestEnv = {
    databaseUrl,
    redisPrefix,
    env,
    async start(role = 'all', extraEnv = {}) {
      const config = loadConfig({ ...env, ...extraEnv })
      const relay = await startRelay({ config, role, composition, logger: pino({ level: config.logLevel }), moverIntervalMs: 50 })
      const address = await relay.listen()
      const api: TestRelay['api'] = async (path, init = {}) => {
        const res = await fetch(`${address}${path}`, {
          method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
          headers: {
            authorization: `Bearer ${config.adminToken}`,
            ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...init.headers,
          },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
        })
        const text = await res.text()
        return { status: res.status, body: text ? JSON.parse(text) : null }
      }
      const t = Object.assign(relay, { url: address, metricsUrl: relay.metricsAddress!, config, api }) as TestRelay
      relays.push(t)
      return t
    },
    redis() {
      const r = new Redis(TEST_REDIS_URL)
      redisClients.push(r)
      return r
    },
    async query(text, values) {
      if (!pgClient) {
        pgClient = new pg.Client({ connectionString: databaseUrl })
        await pgClient.connect()
      }
      return (await pgClient.query(text, values)).rows
    },
    async close() {
      for (const r of relays) await r.stop().catch(() => {})
      if (pgClient) await pgClient.end().catch(() => {})
      for (const r of redisClients) r.disconnect()
      await dropRelayState({ pgHost: TEST_DATABASE_HOST, database: dbName, redisUrl: TEST_REDIS_URL, redisPrefix })
    },
  }
  return self
}

/** Polls until `check` returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v as NonNullable<T>
      last = v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
