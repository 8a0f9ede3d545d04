/**
 * Builds a relay process for a role from a Config and a Composition (the plugins and
 * HTTP extensions it is made of, composition.ts). Used by the CLI (cli.ts), the tests
 * and the benchmark, so all three run the same wiring.
 */
import pino, { type Logger } from 'pino'
import type { FastifyInstance } from 'fastify'
import { buildApp, VERSION } from './api/app.ts'
import { buildMetricsApp } from './api/metrics-app.ts'
import type { Services } from './api/services.ts'
import { checkExtensions, type Composition } from './composition.ts'
import { createDeliveryService } from './delivery/service.ts'
import type { Config, Role } from './config/config.ts'
import { createDb, type Db } from './db/pool.ts'
import { migrate } from './db/migrate.ts'
import { createGuardedConnect, createHttpClient } from './egress/index.ts'
import { Ingestor } from './ingest/ingestor.ts'
import { SourceCache } from './ingest/source-cache.ts'
import { createMetrics, type Metrics } from './metrics/metrics.ts'
import { PluginHost } from './plugin/host.ts'
import { createRedis, type RelayRedis } from './redis/client.ts'
import { keys as makeKeys } from './redis/keys.ts'
import { checkEncryptionKey } from './secrets/key-check.ts'
import { createSecretBox } from './secrets/secret-box.ts'
import { standardWebhooksSigner } from './signing/standard-webhooks.ts'
import { traceLogMixin } from './telemetry/log-mixin.ts'
import { isTracing } from './telemetry/tracer.ts'
import { createTransformRunner } from './transform/index.ts'
import type { TransformRunner } from './transform/types.ts'
import { TrafficRollup } from './traffic/rollup.ts'
import { gaugeRefresher } from './worker/gauges.ts'
import { startWorker, type WorkerHandle } from './worker/index.ts'

/**
 * Connections the kernel may hold for us while the event loop is busy. Node's default
 * (511) overflowed when a burst opened connections faster than a warming process
 * accepted them: the kernel dropped the handshakes' last step and senders got
 * "connection reset by peer" (the load test's burst lost about 60 of 30,000 requests
 * that way, never accepted). Linux caps it at net.core.somaxconn (4096 by default).
 */
const LISTEN_BACKLOG = 4096

export interface Relay {
  readonly role: Role
  readonly app: FastifyInstance
  readonly services: Services
  readonly metrics: Metrics
  readonly worker: WorkerHandle | null
  readonly log: Logger
  /** Per-minute counts for the overview's charts; flush() writes them now (tests). */
  readonly traffic: TrafficRollup
  /** The /metrics listener (config.metrics). */
  readonly metricsApp: FastifyInstance
  /** Listens on config.host:port and the metrics listener on config.metrics; returns the first's address. */
  listen(): Promise<string>
  /** The metrics listener's address, once listening. */
  readonly metricsAddress: string | undefined
  /** Graceful: stop taking requests and work, finish in-flight, close pools. */
  stop(): Promise<void>
}

export interface StartOptions {
  config: Config
  role: Role
  logger?: Logger
  /** Apply migrations (and create the database) before starting. Default true. */
  migrate?: boolean
  /** The plugins and extensions beyond the core (none by default: RELAY_PLUGINS only). */
  composition?: Composition
  /** Test hook: worker timing overrides. */
  moverIntervalMs?: number
}

export async function startRelay(o: StartOptions): Promise<Relay> {
  const { config, role } = o
  const extensions = o.composition?.extensions ?? []
  checkExtensions(extensions)
  const log = o.logger ?? pino({ level: config.logLevel, base: { service: `webhook-relay-${role}` }, ...(isTracing() ? { mixin: traceLogMixin } : {}) })
  if (o.migrate !== false) {
    const m = await migrate(config.databaseUrl)
    if (m.databaseCreated) log.info('database created')
    if (m.applied.length) log.info({ applied: m.applied }, 'migrations applied')
  }
  const box = createSecretBox(config.encryptionKey, config.previousEncryptionKeys)
  const plugins = new PluginHost(box)
  await plugins.load([...(o.composition?.plugins ?? []), ...config.plugins])

  const db: Db = await createDb(config.databaseUrl, { poolSize: config.pgPoolSize })
  // Before anything opens a secret: the wrong key stops boot here, with its name.
  try {
    if ((await checkEncryptionKey(db, box)) === 'rotating') {
      log.warn({ keyId: box.keyId }, 'stored secrets are sealed with a key from RELAY_ENCRYPTION_KEY_PREVIOUS: run `npm run reseal` to re-seal them with RELAY_ENCRYPTION_KEY')
    }
  } catch (err) {
    await db.end()
    throw err
  }
  const redis: RelayRedis = createRedis(config.redisUrl, `relay-${role}`)
  const keys = makeKeys(config.redisPrefix)
  const metrics = createMetrics({ role, version: VERSION })
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`
  let transforms: TransformRunner | null = null
  const transformRunner = () => (transforms ??= createTransformRunner())
  const deliveries = createDeliveryService({ db, redis, keys, log })
  const traffic = new TrafficRollup({ db, log }).start()
  const services: Services = { config, db, redis, keys, plugins, box, sources: new SourceCache(db, box), deliveries, publicUrl, transforms: transformRunner, traffic }

  const runsApi = role === 'api' || role === 'all'
  const runsWorker = role === 'worker' || role === 'all'
  const ingestor = runsApi
    ? new Ingestor({ db, redis, keys, metrics, traffic, maxBatch: config.ingestBatchMax, maxWaitMs: config.ingestBatchWaitMs })
    : undefined
  const refreshGauges = gaugeRefresher({ db, redis, keys, metrics })
  const app = await buildApp({ services, metrics, logger: log, ingestor })
  const metricsApp = await buildMetricsApp({ db, redis, metrics, logger: log, beforeScrape: refreshGauges })
  // Extensions (the admin UI) are served wherever the REST API is.
  if (runsApi) for (const x of extensions) await app.register(x.register, { prefix: x.prefix, services })

  let worker: WorkerHandle | null = null
  let http: ReturnType<typeof createHttpClient> | null = null
  if (runsWorker) {
    http = createHttpClient({ allowCidrs: config.egressAllow, requestTimeoutMs: config.deliveryTimeoutMaxMs, connectionsPerOrigin: config.egressConnections })
    worker = await startWorker({
      db, redis, keys, plugins, box, http, connect: createGuardedConnect({ allowCidrs: config.egressAllow }), transforms: transformRunner(), metrics, traffic, log,
      signer: standardWebhooksSigner,
      retry: config.retry,
      concurrency: config.deliveryConcurrency,
      subscriptionConcurrency: config.subscriptionConcurrency,
      readCount: config.streamReadCount,
      timeoutMaxMs: config.deliveryTimeoutMaxMs,
      attemptBodyMaxBytes: config.attemptBodyMaxBytes,
      reclaimIdleMs: config.reclaimIdleMs,
      livenessTtlMs: config.livenessTtlMs,
      reconcileIntervalMs: config.reconcileIntervalMs,
      reconcileGraceMs: config.reconcileGraceMs,
      circuitDefaults: config.circuitDefaults,
      circuitIntervalMs: config.circuitIntervalMs,
      moverIntervalMs: o.moverIntervalMs,
      storage: { retentionMs: config.retentionMs, partitionIntervalMs: config.partitionIntervalMs },
    })
  }

  let stopped: Promise<void> | null = null
  let metricsAddress: string | undefined
  return {
    role, app, metricsApp, services, metrics, worker, log, traffic,
    get metricsAddress() {
      return metricsAddress
    },
    async listen() {
      metricsAddress = await metricsApp.listen({ port: config.metrics.port, host: config.metrics.host })
      return app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG })
    },
    stop() {
      stopped ??= (async () => {
        // Order matters: stop accepting, flush ingest, finish deliveries, then close pools.
        await app.close()
        await metricsApp.close()
        await ingestor?.drain()
        await worker?.stop(config.shutdownTimeoutMs)
        await traffic.stop()
        // After the last delivery: plugins release their pools and clients.
        await plugins.close(log)
        await transforms?.close()
        await http?.close()
        redis.disconnect()
        await db.end()
      })()
      return stopped
    },
  }
}
