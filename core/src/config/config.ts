/**
 * Configuration from environment variables, validated with TypeBox at boot.
 *
 * A bad value stops boot with a message naming the variable. In development
 * (NODE_ENV unset or 'development') a missing admin token or encryption key is
 * generated and printed instead of refusing to start; in production both are required.
 */
import { createHmac, randomBytes } from 'node:crypto'
import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import { parseDuration, parseDurationList } from './duration.ts'
import type { CircuitSettings } from '../delivery/circuit-breaker.ts'

export const DEFAULT_PORT = 8080
/** The port OpenTelemetry's Prometheus exporter uses by default: scrape configs expect it. */
export const DEFAULT_METRICS_PORT = 9464
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/webhook_relay'
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'
/** Close to the Standard Webhooks example schedule; one delay per retry, so 10 attempts in all. */
export const DEFAULT_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,14h,20h,24h'

const Role = Type.Union([Type.Literal('api'), Type.Literal('worker'), Type.Literal('all')])
export type Role = Static<typeof Role>

const Int = (min: number, max: number, def: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: def, description })

/** Every variable the relay reads. Defaults are the tuned values from docs/performance.md. */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', default: DEFAULT_DATABASE_URL }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: DEFAULT_REDIS_URL }),
  PORT: Int(0, 65535, DEFAULT_PORT, 'HTTP port: ingest, REST API, UI and /healthz, /readyz (the worker: health only)'),
  HOST: Type.Optional(Type.String({ description: 'address to listen on; 127.0.0.1 in development (a generated dev token must not be reachable from the network), 0.0.0.0 with NODE_ENV=production' })),
  RELAY_METRICS_PORT: Int(0, 65535, DEFAULT_METRICS_PORT, 'port of the Prometheus /metrics listener, apart from the ingest port so /metrics is never public with it'),
  RELAY_METRICS_HOST: Type.Optional(Type.String({ description: 'address the /metrics listener binds; HOST when unset' })),
  RELAY_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'external base URL, used to print ingest URLs' })),
  RELAY_ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'bearer token for /api' })),
  RELAY_ENCRYPTION_KEY: Type.Optional(Type.String({ description: '32 random bytes, base64' })),
  RELAY_ENCRYPTION_KEY_PREVIOUS: Type.String({ default: '', description: 'earlier encryption keys, comma-separated base64: stored secrets sealed with them are still opened (during a key rotation, until `npm run reseal`)' }),
  RELAY_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 12, description: 'admin UI sign-in password (the admin token is accepted too)' })),
  RELAY_UI_SIGN_IN_LIMIT: Int(1, 100000, 10, 'failed admin UI sign-ins per client address per 5 minutes, counted in Redis across api replicas'),
  RELAY_UI_SESSION_TTL: Type.String({ default: '12h', description: 'longest an admin UI session lasts after sign-in' }),
  RELAY_UI_SESSION_IDLE: Type.String({ default: '1h', description: 'an admin UI session unused this long ends' }),
  RELAY_TRUST_PROXY: Type.String({ default: '', description: "proxies whose X-Forwarded-For gives the client address: 'true' (any), a hop count, or CIDRs comma-separated; empty trusts none" }),
  RELAY_SESSION_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'signs admin UI session cookies; derived from the admin token when unset' })),
  RELAY_PLUGINS: Type.String({ default: '', description: 'extra plugin packages or paths, comma-separated' }),
  RELAY_ROLE: Type.Optional(Role),
  RELAY_EGRESS_ALLOW: Type.String({ default: '', description: 'CIDRs exempt from the SSRF guard, comma-separated' }),
  RELAY_REDIS_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9:_-]*$', description: 'prefix for every Redis key' }),
  RELAY_MAX_BODY_BYTES: Int(1, 64 * 1024 * 1024, 1024 * 1024, 'default ingest size limit'),
  RELAY_RETRY_SCHEDULE: Type.String({ default: DEFAULT_RETRY_SCHEDULE }),
  RELAY_RETRY_JITTER: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
  RELAY_RETRY_AFTER_MAX: Type.String({ default: '24h', description: 'upper clamp for Retry-After' }),
  RELAY_RETRY_MIN: Type.String({ default: '1s', description: 'lower floor for any retry delay' }),
  RELAY_DELIVERY_CONCURRENCY: Int(1, 10000, 128, 'in-flight deliveries per worker process'),
  RELAY_SUBSCRIPTION_CONCURRENCY: Int(1, 10000, 64, 'in-flight deliveries of one subscription per worker process, so a slow receiver cannot take every slot'),
  RELAY_EGRESS_CONNECTIONS: Int(1, 10000, 256, 'keep-alive connections per receiver origin (above RELAY_SUBSCRIPTION_CONCURRENCY, so subscriptions sharing a host do not queue behind each other)'),
  RELAY_DELIVERY_TIMEOUT_MAX_MS: Int(100, 300000, 60000, 'upper bound of a plugin call'),
  RELAY_RECLAIM_IDLE_MS: Int(100, 3600000, 120000, 'idle time after which any consumer\'s unacked entries are reclaimed (the backstop behind the liveness keys)'),
  RELAY_WORKER_LIVENESS_TTL_MS: Int(2000, 600000, 5000, 'a worker whose liveness key is this old is taken for dead and its work taken over'),
  RELAY_RECONCILE_INTERVAL_MS: Int(100, 3600000, 15000, 'how often the reconciler runs'),
  RELAY_RECONCILE_GRACE_MS: Int(0, 86400000, 120000, 'how overdue work must be before the reconciler re-enqueues it'),
  RELAY_CIRCUIT_FAILURES: Int(0, 100000, 10, "failed attempts in a row that open a subscription's circuit breaker, for subscriptions that set none of their own; 0 turns the breaker off for them"),
  RELAY_CIRCUIT_PROBE_SECONDS: Type.Number({ minimum: 1, maximum: 3600, default: 60, description: 'an open circuit sends one probe after this long; the interval doubles after each failed probe, up to an hour' }),
  RELAY_CIRCUIT_DISABLE_AFTER_HOURS: Type.Number({ minimum: 0, maximum: 8760, default: 120, description: 'a circuit open this long disables its subscription (5 days, as Svix); 0: never' }),
  RELAY_CIRCUIT_INTERVAL_MS: Int(100, 600000, 2000, 'how often the circuit task opens, probes, closes and disables circuits'),
  RELAY_STREAM_READ_COUNT: Int(1, 10000, 256, 'entries per XREADGROUP'),
  RELAY_INGEST_BATCH_MAX: Int(1, 1000, 256, 'rows per group commit'),
  RELAY_INGEST_BATCH_WAIT_MS: Type.Number({ minimum: 0, maximum: 100, default: 1 }),
  RELAY_PG_POOL_SIZE: Int(1, 200, 10, 'Postgres connections per process'),
  RELAY_ATTEMPT_BODY_MAX_BYTES: Int(0, 10 * 1024 * 1024, 16 * 1024, 'request/response bodies kept per attempt'),
  RELAY_SHUTDOWN_TIMEOUT_MS: Int(0, 600000, 30000, 'graceful shutdown bound'),
  RELAY_EVENT_CREDENTIAL_HEADERS: Type.Union([Type.Literal('mask'), Type.Literal('show')], { default: 'mask', description: "stored events' Authorization, Cookie and API-key headers as shown in the API and UI: masked, or shown" }),
  RELAY_RETENTION: Type.String({ default: '30d', description: 'how long events (with their deliveries and attempts) are kept once finished, e.g. 7d, 12h, 2m; 0 keeps them forever' }),
  RELAY_PARTITION_INTERVAL: Type.Optional(Type.String({ description: 'time range of one storage partition; default 1d, or a quarter of RELAY_RETENTION when that is under 4 days' })),
  RELAY_RETENTION_DAYS: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'deprecated: RELAY_RETENTION in days, used when RELAY_RETENTION is unset' })),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
})
type Env = Static<typeof EnvSchema>

export interface Config {
  readonly env: string
  readonly databaseUrl: string
  readonly redisUrl: string
  readonly port: number
  readonly host: string
  /** The /metrics listener, apart from the ingest and API port. */
  readonly metrics: { readonly port: number; readonly host: string }
  readonly publicUrl: string | undefined
  readonly adminToken: string
  /** Admin UI password; when unset the UI accepts only the admin token. */
  readonly adminPassword: string | undefined
  /** Failed admin UI sign-ins per client address per 5 minutes. */
  readonly uiSignInLimit: number
  /** Admin UI sessions: the longest one lasts, and how long one may sit unused. */
  readonly uiSession: { readonly ttlMs: number; readonly idleMs: number }
  /** Which proxies' X-Forwarded-For to believe for the client address (Fastify trustProxy). */
  readonly trustProxy: TrustProxy
  /** Key for the admin UI's signed session and CSRF cookies. */
  readonly sessionSecret: string
  readonly encryptionKey: Buffer
  /** Keys secrets may still be sealed with (opened, never used to seal). */
  readonly previousEncryptionKeys: readonly Buffer[]
  /** Stored events' credential headers in the API and UI (secrets/credential-headers.ts). */
  readonly eventCredentialHeaders: 'mask' | 'show'
  readonly plugins: readonly string[]
  readonly role: Role | undefined
  readonly egressAllow: readonly string[]
  readonly redisPrefix: string
  readonly maxBodyBytes: number
  readonly retry: {
    readonly scheduleMs: readonly number[]
    readonly jitter: number
    readonly retryAfterMaxMs: number
    readonly minDelayMs: number
  }
  readonly deliveryConcurrency: number
  readonly subscriptionConcurrency: number
  readonly egressConnections: number
  readonly deliveryTimeoutMaxMs: number
  readonly reclaimIdleMs: number
  readonly livenessTtlMs: number
  readonly reconcileIntervalMs: number
  readonly reconcileGraceMs: number
  /** The circuit breaker settings of subscriptions that set none of their own. */
  readonly circuitDefaults: CircuitSettings
  readonly circuitIntervalMs: number
  readonly streamReadCount: number
  readonly ingestBatchMax: number
  readonly ingestBatchWaitMs: number
  readonly pgPoolSize: number
  readonly attemptBodyMaxBytes: number
  readonly shutdownTimeoutMs: number
  /** Finished events older than this are dropped with their partition; 0 keeps everything. */
  readonly retentionMs: number
  readonly partitionIntervalMs: number
  readonly logLevel: string
  /** Values generated because they were missing in development; printed at boot. */
  readonly generated: { adminToken?: string; encryptionKey?: string }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const splitList = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean)

/** Reads, defaults and validates the environment; throws ConfigError naming the variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(EnvSchema.properties)
  const raw: Record<string, unknown> = {}
  for (const key of known) {
    const v = source[key]
    if (v !== undefined && v !== '') raw[key] = v
  }
  const converted = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw))
  const errors = Value.Errors(EnvSchema, converted)
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const name = e.instancePath.replace(/^\//, '') || (e.params as { requiredProperties?: string[] }).requiredProperties?.[0] || '(root)'
      return `  ${name}=${JSON.stringify(source[name] ?? '')}: ${e.message}`
    })
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  const env = converted as Env
  const production = env.NODE_ENV === 'production'
  const generated: Config['generated'] = {}

  let adminToken = env.RELAY_ADMIN_TOKEN
  if (!adminToken) {
    if (production) throw new ConfigError('RELAY_ADMIN_TOKEN is required when NODE_ENV=production')
    adminToken = generated.adminToken = randomBytes(24).toString('base64url')
  }
  let keyB64 = env.RELAY_ENCRYPTION_KEY
  if (!keyB64) {
    if (production) throw new ConfigError('RELAY_ENCRYPTION_KEY is required when NODE_ENV=production')
    keyB64 = generated.encryptionKey = randomBytes(32).toString('base64')
  }
  const encryptionKey = Buffer.from(keyB64, 'base64')
  if (encryptionKey.length !== 32) {
    throw new ConfigError(`RELAY_ENCRYPTION_KEY must be 32 bytes of base64 (got ${encryptionKey.length} bytes); generate one with: openssl rand -base64 32`)
  }

  const previousEncryptionKeys = splitList(env.RELAY_ENCRYPTION_KEY_PREVIOUS).map((b64, i) => {
    const k = Buffer.from(b64, 'base64')
    if (k.length !== 32) throw new ConfigError(`RELAY_ENCRYPTION_KEY_PREVIOUS: key ${i + 1} must be 32 bytes of base64 (got ${k.length} bytes)`)
    return k
  })

  // Loopback unless deployed: a development relay prints its admin token.
  const host = env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1')
  const egressAllow = splitList(env.RELAY_EGRESS_ALLOW)
  for (const cidr of egressAllow) {
    if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(cidr)) throw new ConfigError(`RELAY_EGRESS_ALLOW: "${cidr}" is not a CIDR such as 127.0.0.0/8`)
  }

  const named = <T,>(name: string, parse: () => T): T => {
    try {
      return parse()
    } catch (err) {
      throw new ConfigError(`${name}: ${(err as Error).message}`)
    }
  }

  return {
    env: env.NODE_ENV,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    port: env.PORT,
    host,
    metrics: { port: env.RELAY_METRICS_PORT, host: env.RELAY_METRICS_HOST ?? host },
    publicUrl: env.RELAY_PUBLIC_URL?.replace(/\/$/, ''),
    adminToken,
    adminPassword: env.RELAY_ADMIN_PASSWORD,
    uiSignInLimit: env.RELAY_UI_SIGN_IN_LIMIT,
    uiSession: {
      ttlMs: named('RELAY_UI_SESSION_TTL', () => atLeastAMinute(parseDuration(env.RELAY_UI_SESSION_TTL))),
      idleMs: named('RELAY_UI_SESSION_IDLE', () => atLeastAMinute(parseDuration(env.RELAY_UI_SESSION_IDLE))),
    },
    trustProxy: named('RELAY_TRUST_PROXY', () => parseTrustProxy(env.RELAY_TRUST_PROXY)),
    // Derived rather than random, so every api replica accepts the same sessions.
    sessionSecret: env.RELAY_SESSION_SECRET ?? createHmac('sha256', adminToken).update('webhook-relay ui session v1').digest('base64url'),
    encryptionKey,
    previousEncryptionKeys,
    eventCredentialHeaders: env.RELAY_EVENT_CREDENTIAL_HEADERS,
    plugins: splitList(env.RELAY_PLUGINS),
    role: env.RELAY_ROLE,
    egressAllow,
    redisPrefix: env.RELAY_REDIS_PREFIX,
    maxBodyBytes: env.RELAY_MAX_BODY_BYTES,
    retry: {
      scheduleMs: named('RELAY_RETRY_SCHEDULE', () => parseDurationList(env.RELAY_RETRY_SCHEDULE)) as number[],
      jitter: env.RELAY_RETRY_JITTER,
      retryAfterMaxMs: named('RELAY_RETRY_AFTER_MAX', () => parseDuration(env.RELAY_RETRY_AFTER_MAX)) as number,
      minDelayMs: named('RELAY_RETRY_MIN', () => parseDuration(env.RELAY_RETRY_MIN)) as number,
    },
    deliveryConcurrency: env.RELAY_DELIVERY_CONCURRENCY,
    subscriptionConcurrency: env.RELAY_SUBSCRIPTION_CONCURRENCY,
    egressConnections: env.RELAY_EGRESS_CONNECTIONS,
    deliveryTimeoutMaxMs: env.RELAY_DELIVERY_TIMEOUT_MAX_MS,
    reclaimIdleMs: env.RELAY_RECLAIM_IDLE_MS,
    livenessTtlMs: env.RELAY_WORKER_LIVENESS_TTL_MS,
    reconcileIntervalMs: env.RELAY_RECONCILE_INTERVAL_MS,
    reconcileGraceMs: env.RELAY_RECONCILE_GRACE_MS,
    circuitDefaults: {
      enabled: env.RELAY_CIRCUIT_FAILURES > 0,
      failures: Math.max(1, env.RELAY_CIRCUIT_FAILURES),
      probeAfterSeconds: env.RELAY_CIRCUIT_PROBE_SECONDS,
      disableAfterHours: env.RELAY_CIRCUIT_DISABLE_AFTER_HOURS,
    },
    circuitIntervalMs: env.RELAY_CIRCUIT_INTERVAL_MS,
    streamReadCount: env.RELAY_STREAM_READ_COUNT,
    ingestBatchMax: env.RELAY_INGEST_BATCH_MAX,
    ingestBatchWaitMs: env.RELAY_INGEST_BATCH_WAIT_MS,
    pgPoolSize: env.RELAY_PG_POOL_SIZE,
    attemptBodyMaxBytes: env.RELAY_ATTEMPT_BODY_MAX_BYTES,
    shutdownTimeoutMs: env.RELAY_SHUTDOWN_TIMEOUT_MS,
    ...named('RELAY_RETENTION', () => storagePolicy(source.RELAY_RETENTION ? env.RELAY_RETENTION : env.RELAY_RETENTION_DAYS !== undefined ? `${env.RELAY_RETENTION_DAYS}d` : env.RELAY_RETENTION, env.RELAY_PARTITION_INTERVAL)),
    logLevel: env.LOG_LEVEL,
    generated,
  }
}

const DAY_MS = 86_400_000

/** A UI session shorter than a minute could not load a page and post its form. */
function atLeastAMinute(ms: number): number {
  if (ms < 60_000) throw new Error('must be at least 1m')
  return ms
}
/** Shortest partition interval: below it the partition count, not the rows, would cost. */
export const MIN_PARTITION_INTERVAL_MS = 10_000

/** RELAY_RETENTION and RELAY_PARTITION_INTERVAL, checked against each other. */
export function storagePolicy(retention: string, interval: string | undefined): { retentionMs: number; partitionIntervalMs: number } {
  const retentionMs = retention.trim() === '0' ? 0 : parseDuration(retention)
  if (retentionMs !== 0 && retentionMs < 2 * MIN_PARTITION_INTERVAL_MS) throw new Error(`"${retention}" is shorter than the minimum of 20s`)
  let partitionIntervalMs: number
  try {
    partitionIntervalMs = interval ? parseDuration(interval) : retentionMs === 0 || retentionMs >= 4 * DAY_MS ? DAY_MS : Math.max(MIN_PARTITION_INTERVAL_MS, Math.floor(retentionMs / 4))
  } catch (err) {
    throw new Error(`RELAY_PARTITION_INTERVAL: ${(err as Error).message}`, { cause: err })
  }
  if (partitionIntervalMs < MIN_PARTITION_INTERVAL_MS) throw new Error(`RELAY_PARTITION_INTERVAL must be at least 10s (got ${interval})`)
  return { retentionMs, partitionIntervalMs }
}

/** Fastify's trustProxy: none, any, proxies in these CIDRs, or the nearest N hops. */
export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean)

export function parseTrustProxy(raw: string): TrustProxy {
  const v = raw.trim()
  if (v === '' || v === 'false') return false
  if (v === 'true') return true
  if (/^\d+$/.test(v)) {
    // proxy-addr's hop semantics (what Fastify does for a number): trust the nearest N.
    const hops = Number(v)
    return (_address, hop) => hop < hops
  }
  const cidrs = splitList(v)
  for (const c of cidrs) if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(c)) throw new Error(`"${c}" is not an address or CIDR (use 'true', a hop count, or CIDRs)`)
  return cidrs
}
