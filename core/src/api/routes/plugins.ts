/** /api/v1/plugins: the installed action plugins with their config schemas. */
import type { FastifyInstance } from 'fastify'
import type { Services } from '../services.ts'

export async function pluginRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get('/plugins', { schema: { tags: ['plugins'], summary: 'List installed action plugins' } }, async () => ({ items: s.plugins.list() }))
}
