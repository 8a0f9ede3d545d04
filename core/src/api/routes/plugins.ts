/** /api/v1/plugins: installed action plugins with their config schemas, and lifecycle plugins. */
import type { FastifyInstance } from 'fastify'
import type { Services } from '../services.ts'

export async function pluginRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get('/plugins', { schema: { tags: ['plugins'], summary: 'List installed plugins: actions (usable by subscriptions) and lifecycle plugins' } }, async () => ({
    items: s.plugins.list(),
    lifecycle: s.plugins.listLifecycle(),
  }))
}
