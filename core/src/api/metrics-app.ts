/**
 * The /metrics listener, on its own port (RELAY_METRICS_PORT) so that exposing the ingest
 * port to the internet never exposes the relay's internals with it: source names, queue
 * depths, error rates. Nothing else is served there; anything but GET /metrics and
 * /healthz is a 404 (and no route on the main port answers /metrics).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { RelayRedis } from '../redis/client.ts'
import { checkDependencies } from './health.ts'

export interface MetricsAppOptions {
  db: Db
  redis: RelayRedis
  metrics: Metrics
  logger: Logger
  /** Refreshes the gauges read from Postgres and Redis before each scrape. */
  beforeScrape?: () => Promise<void>
}

export async function buildMetricsApp(o: MetricsAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: o.logger.child({ listener: 'metrics' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true })
  app.get('/metrics', async (_req, reply) => {
    // pg_up/redis_up are checked on every scrape too: Prometheus never calls /readyz,
    // and a gauge never set reads 0, which would fire the dependency-down alerts.
    await Promise.all([o.beforeScrape?.().catch(() => {}), checkDependencies(o.db, o.redis, o.metrics)])
    return reply.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics())
  })
  // So a probe or a port check can target this listener without running a scrape.
  app.get('/healthz', async () => ({ status: 'ok' }))
  return app
}
