/**
 * Builds the HTTP app without listening (entry points call listen; tests use inject).
 * Role 'api' and 'all' get ingest and the REST API; role 'worker' only health. /metrics
 * has a listener of its own (metrics-app.ts).
 */
import { STATUS_CODES } from 'node:http'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Logger } from 'pino'
import { isUnavailable } from '../db/pool.ts'
import { ingestRoutes } from '../ingest/route.ts'
import type { Ingestor } from '../ingest/ingestor.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { bearerAuth } from './auth.ts'
import { healthRoutes } from './health.ts'
import { mountLifecycle } from './lifecycle.ts'
import { deliveryRoutes } from './routes/deliveries.ts'
import { eventRoutes } from './routes/events.ts'
import { pluginRoutes } from './routes/plugins.ts'
import { sourceRoutes } from './routes/sources.ts'
import { subscriptionRoutes } from './routes/subscriptions.ts'
import { transformRoutes } from './routes/transforms.ts'
import type { Services } from './services.ts'

export const VERSION = '0.1.0'

export interface AppOptions {
  services: Services
  metrics: Metrics
  logger: Logger
  /** Present for the api and all roles. */
  ingestor?: Ingestor
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { services: s, metrics } = opts
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    // Per-request log lines cost more than the ingest work itself; metrics cover requests.
    logController: new LogController({ disableRequestLogging: true }),
    // Ingest URLs carry the slug; 404s and bodies are handled by the routes.
    return503OnClosing: true,
    // Behind an ingress the peer is the proxy; the sign-in limit and logs need the client.
    trustProxy: s.config.trustProxy,
    // strictSchema off: TypeBox unions carry defaults inside anyOf, which ajv's strict mode rejects.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, strictSchema: false } },
  })

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isUnavailable(err)) err = Object.assign(new Error('Storage is unavailable, retry later (postgres)'), { code: 'RELAY_ERR_STORE_UNAVAILABLE', statusCode: 503 }) as FastifyError
    const status = err.validation ? 400 : (err.statusCode ?? 500)
    if (status >= 500) req.log.error({ err, url: req.url }, 'request failed')
    const code = err.validation ? 'RELAY_ERR_INVALID_REQUEST' : (err.code ?? 'RELAY_ERR_INTERNAL')
    // Never a stack trace, and no internal message on a 500.
    const message = status === 500 ? 'Internal error; see the relay log' : err.message
    return reply.code(status).send({ statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message })
  })
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ statusCode: 404, code: 'RELAY_ERR_ROUTE_NOT_FOUND', error: 'Not Found', message: `No route ${req.method} ${req.url}` }))

  await app.register(healthRoutes, { db: s.db, redis: s.redis, metrics })

  if (opts.ingestor) {
    await app.register(ingestRoutes, { sources: s.sources, ingestor: opts.ingestor, metrics, defaultMaxBodyBytes: s.config.maxBodyBytes })
    await app.register(swagger, {
      openapi: {
        info: { title: 'Webhook Relay API', version: VERSION, description: 'Sources, subscriptions, events, deliveries and plugins. Bearer token: RELAY_ADMIN_TOKEN.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      // The admin UI's pages and forms are not API: leave them out of the document.
      transform: ({ schema, url }) => ({ schema: url.startsWith('/ui') ? { ...schema, hide: true } : schema, url }),
    })
    await app.register(swaggerUi, { routePrefix: '/api/docs' })
    await app.register(
      async (api) => {
        api.addHook('onRequest', bearerAuth(s.config.adminToken))
        await api.register(sourceRoutes, s)
        await api.register(subscriptionRoutes, s)
        await api.register(eventRoutes, s)
        await api.register(deliveryRoutes, s)
        await api.register(pluginRoutes, s)
        await api.register(transformRoutes, s)
        await mountLifecycle(api, s.plugins.lifecycle(), s, opts.logger)
      },
      { prefix: '/api/v1' },
    )
  }
  return app
}
