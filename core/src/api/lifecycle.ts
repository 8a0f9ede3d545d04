/**
 * Mounts lifecycle plugins (the SDK's LifecycleManifest) under /api/v1: each gets a
 * Routes object over its own Fastify scope and the delivery state service, and nothing
 * else of the relay. The route schemas go to Fastify as they are (TypeBox is JSON
 * Schema), so validation, the 400s and the OpenAPI document are the relay's own.
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { isRouteAnswer, type DeliveryStateService, type LifecycleManifest, type RouteHandler, type Routes, type RouteSpec } from '../plugin/contract.ts'
import { withDb } from '../db/pool.ts'
import { countDeadLetters, getDeadLetter, listDeadLetters, oldestDeadLetterIds } from '../store/dead-letters.ts'
import type { Services } from './services.ts'
import { deliveryDetail } from './routes/deliveries.ts'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export function deliveryStateService(s: Services): DeliveryStateService {
  return {
    listDead: (f) => withDb(() => listDeadLetters(s.db, f)),
    getDead: (id) => withDb(() => getDeadLetter(s.db, id)),
    countDead: (f) => withDb(() => countDeadLetters(s.db, f)),
    oldestDeadIds: (f, limit) => withDb(() => oldestDeadLetterIds(s.db, f, limit)),
    replayDead: s.deliveries.replayDead,
    discardDead: s.deliveries.discardDead,
    detail: (id) =>
      deliveryDetail(s, id).catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) return null
        throw err
      }),
  }
}

/** Routes whose handlers run in `scope`; `tag` groups them in the OpenAPI document. */
function routesOn(scope: FastifyInstance, tag: string, log: Logger): Routes {
  const register = (method: Method) =>
    (path: string, spec: RouteSpec, handler: RouteHandler<never, never, never>) => {
      scope.route({
        method,
        url: path,
        // Only the parts given: Fastify warns about a schema key present but undefined.
        schema: Object.fromEntries(Object.entries({ tags: [tag], summary: spec.summary, description: spec.description, params: spec.params, querystring: spec.query, body: spec.body }).filter(([, v]) => v !== undefined)),
        handler: async (req, reply) => {
          const out = await (handler as RouteHandler<never, never, never>)({ params: req.params as never, query: req.query as never, body: req.body as never, log })
          if (isRouteAnswer(out)) return out.body === undefined ? reply.code(out.status).send() : reply.code(out.status).send(out.body)
          return out
        },
      })
    }
  return { get: register('GET'), post: register('POST'), put: register('PUT'), patch: register('PATCH'), delete: register('DELETE') } as Routes
}

/** Registers every lifecycle plugin's routes, each in its own scope. */
export async function mountLifecycle(api: FastifyInstance, plugins: readonly LifecycleManifest[], s: Services, log: Logger): Promise<void> {
  const deliveries = deliveryStateService(s)
  for (const plugin of plugins) {
    if (!plugin.routes) continue
    const pluginLog = log.child({ plugin: plugin.name })
    await api.register(async (scope) => plugin.routes!(routesOn(scope, plugin.title, pluginLog), { log: pluginLog, deliveries }))
  }
}
