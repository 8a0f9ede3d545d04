/**
 * Deleting a subscription or a source from the UI: a confirmation page that says what
 * goes with it (counted, ui/src/queries.ts whatGoesWith), then a POST that deletes it
 * through the same store functions the REST API uses, and a redirect.
 */
import type { FastifyInstance } from 'fastify'
import { deleteSource, deleteSubscription, getSource, getSubscription, withDb } from '@webhook-relay/core/admin'
import { destinations } from '../destinations.ts'
import { whatGoesWith } from '../queries.ts'
import { page } from '../render.ts'
import { UI_PREFIX } from '../session.ts'
import type { RouteOptions } from './context.ts'

export async function deletionRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  app.get<{ Params: { id: string } }>('/subscriptions/:id/delete', async (req, reply) => {
    const sub = await withDb(() => getSubscription(s.db, req.params.id))
    const [source, doomed, to] = await Promise.all([withDb(() => getSource(s.db, sub.source_id)), withDb(() => whatGoesWith(s.db, { subscriptionId: sub.id })), destinations(s, [sub.id])])
    return page(req, reply, 'confirm-delete.njk', {
      nav: 'sources', kind: 'subscription', what: 'subscription', name: to.get(sub.id)?.label ?? sub.action, source, doomed,
      action: `${UI_PREFIX}/subscriptions/${sub.id}/delete`, back: `${UI_PREFIX}/subscriptions/${sub.id}`,
    })
  })

  app.post<{ Params: { id: string } }>('/subscriptions/:id/delete', async (req, reply) => {
    const sub = await withDb(() => getSubscription(s.db, req.params.id))
    await withDb(() => deleteSubscription(s.db, sub.id))
    return reply.redirect(`${UI_PREFIX}/sources/${sub.source_id}?deleted=subscription`, 303)
  })

  app.get<{ Params: { id: string } }>('/sources/:id/delete', async (req, reply) => {
    const source = await withDb(() => getSource(s.db, req.params.id))
    const doomed = await withDb(() => whatGoesWith(s.db, { sourceId: source.id }))
    return page(req, reply, 'confirm-delete.njk', {
      nav: 'sources', kind: 'source', what: 'source', name: source.name, source, doomed, ingestUrl: `${s.publicUrl}/in/${source.slug}`,
      action: `${UI_PREFIX}/sources/${source.id}/delete`, back: `${UI_PREFIX}/sources/${source.id}`,
    })
  })

  app.post<{ Params: { id: string } }>('/sources/:id/delete', async (req, reply) => {
    const source = await withDb(() => getSource(s.db, req.params.id))
    await withDb(() => deleteSource(s.db, source.id))
    s.sources.invalidate()
    return reply.redirect(`${UI_PREFIX}/sources?deleted=${encodeURIComponent(source.name)}`, 303)
  })
}
