/** The overview: throughput, success rate, queue depths and recent failures, polled live. */
import type { FastifyInstance } from 'fastify'
import { withDb } from '../core.ts'
import { overview } from '../queries.ts'
import { page, partial } from '../render.ts'
import type { RouteOptions } from './context.ts'

export const OVERVIEW_REFRESH_SECONDS = 5

export async function overviewRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  app.get('/', async (req, reply) => {
    const stats = await withDb(() => overview(s))
    return page(req, reply, 'overview.njk', { stats, refresh: OVERVIEW_REFRESH_SECONDS, nav: 'overview' })
  })
  app.get('/overview/stats', async (req, reply) => {
    const stats = await withDb(() => overview(s))
    return partial(req, reply, 'partials/overview-stats.njk', { stats, refresh: OVERVIEW_REFRESH_SECONDS })
  })
}
