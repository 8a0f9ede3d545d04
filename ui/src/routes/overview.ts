/** The overview: counters, traffic charts, subscription health and recent failures, polled live. */
import type { FastifyInstance } from 'fastify'
import { withDb } from '@webhook-relay/core/admin'
import { overview } from '../queries.ts'
import { page, partial } from '../render.ts'
import { traffic, windowOf } from '../traffic.ts'
import type { RouteOptions } from './context.ts'

export async function overviewRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  const load = (query: unknown) => {
    const window = windowOf((query as { window?: unknown }).window)
    return withDb(() => Promise.all([overview(s), traffic(s, window)]))
  }
  app.get('/', async (req, reply) => {
    const [stats, charts] = await load(req.query)
    return page(req, reply, 'overview.njk', { stats, charts, refresh: charts.refreshSeconds, nav: 'overview' })
  })
  app.get('/overview/stats', async (req, reply) => {
    const [stats, charts] = await load(req.query)
    return partial(req, reply, 'partials/overview-stats.njk', { stats, charts, refresh: charts.refreshSeconds })
  })
}
