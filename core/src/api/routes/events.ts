/** /api/v1/events: list by source with paging, get with deliveries, replay to a subscription. */
import type { FastifyInstance } from 'fastify'
import Type, { type Static } from 'typebox'
import { withDb } from '../../db/pool.ts'
import { Errors } from '../../errors.ts'
import { deliveriesOfEvent, getDelivery } from '../../store/deliveries.ts'
import { getEvent, listEvents } from '../../store/events.ts'
import { getSubscription } from '../../store/subscriptions.ts'
import { IdParams, Paging, ReplayBody } from '../schemas.ts'
import type { Services } from '../services.ts'
import { deliveryView, eventView } from '../views.ts'

const tags = ['events']
const ListQuery = Type.Object({ sourceId: Type.Optional(Type.String({ format: 'uuid' })), ...Paging })

export async function eventRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get<{ Querystring: Static<typeof ListQuery> }>('/events', { schema: { tags, querystring: ListQuery, summary: 'List events, newest first' } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await withDb(() => listEvents(s.db, { sourceId: req.query.sourceId, before: req.query.before, limit }))
    return { items: rows.map((r) => eventView(r, { withBody: false, credentialHeaders: s.config.eventCredentialHeaders })), nextBefore: rows.length === limit ? rows.at(-1)!.id : null }
  })

  app.get<{ Params: Static<typeof IdParams> }>('/events/:id', { schema: { tags, params: IdParams, summary: 'Get an event with its body and deliveries' } }, async (req) => {
    const e = await withDb(() => getEvent(s.db, req.params.id))
    const deliveries = await withDb(() => deliveriesOfEvent(s.db, e.id))
    return {
      ...eventView(e, { withBody: true, credentialHeaders: s.config.eventCredentialHeaders }),
      deliveries: deliveries.map((d) => ({ id: d.id, subscriptionId: d.subscription_id, status: d.status, attemptCount: d.attempt_count })),
    }
  })

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ReplayBody> }>(
    '/events/:id/replay',
    { schema: { tags, params: IdParams, body: ReplayBody, summary: 'Deliver a stored event (any mode) to a subscription of its source' } },
    async (req, reply) => {
      const e = await withDb(() => getEvent(s.db, req.params.id))
      const sub = await withDb(() => getSubscription(s.db, req.body.subscriptionId))
      if (sub.source_id !== e.source_id) throw new Errors.INVALID_REQUEST('the subscription belongs to another source')
      const id = await s.deliveries.replayEvent(e.id, sub.id)
      return reply.code(202).send(deliveryView(await withDb(() => getDelivery(s.db, id))))
    },
  )
}
