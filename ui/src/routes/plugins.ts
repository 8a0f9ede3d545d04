/** Installed action plugins with their config schemas. */
import type { FastifyInstance } from 'fastify'
import { page } from '../render.ts'
import type { RouteOptions } from './context.ts'

export async function pluginRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  app.get('/plugins', async (req, reply) => {
    const plugins = s.plugins.list().map((p) => ({ ...p, schemaJson: JSON.stringify(p.configSchema, null, 2) }))
    return page(req, reply, 'plugins.njk', { plugins, nav: 'plugins' })
  })
}
