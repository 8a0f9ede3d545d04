/** /api/v1/deliveries: list by status/source/subscription, get with attempts, retry now. */
import type { FastifyInstance } from 'fastify'
import Type, { type Static } from 'typebox'
import { withDb } from '../../db/pool.ts'
import { getDelivery, listAttempts, listDeliveries } from '../../store/deliveries.ts'
import { DeliveryStatus, IdParams, Paging } from '../schemas.ts'
import type { Services } from '../services.ts'
import { attemptView, deliveryView } from '../views.ts'

const tags = ['deliveries']
const ListQuery = Type.Object({
  status: Type.Optional(DeliveryStatus),
  sourceId: Type.Optional(Type.String({ format: 'uuid' })),
  subscriptionId: Type.Optional(Type.String({ format: 'uuid' })),
  eventId: Type.Optional(Type.String({ format: 'uuid' })),
  ...Paging,
})

/** GET /deliveries/:id's answer: the delivery and its attempt history. NOT_FOUND when there is none. */
export async function deliveryDetail(s: Services, id: string) {
  const d = await withDb(() => getDelivery(s.db, id))
  const attempts = await withDb(() => listAttempts(s.db, d.id))
  return { ...deliveryView(d), attempts: attempts.map(attemptView) }
}

export async function deliveryRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.get<{ Querystring: Static<typeof ListQuery> }>('/deliveries', { schema: { tags, querystring: ListQuery, summary: 'List deliveries, newest first' } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await withDb(() => listDeliveries(s.db, { ...req.query, limit }))
    return { items: rows.map(deliveryView), nextBefore: rows.length === limit ? rows.at(-1)!.id : null }
  })

  app.get<{ Params: Static<typeof IdParams> }>('/deliveries/:id', { schema: { tags, params: IdParams, summary: 'Get a delivery with its attempt history' } }, async (req) => {
    return deliveryDetail(s, req.params.id)
  })

  app.post<{ Params: Static<typeof IdParams> }>('/deliveries/:id/retry', { schema: { tags, params: IdParams, summary: 'Retry now (a dead delivery starts a fresh attempt count, same webhook-id)' } }, async (req, reply) => {
    await s.deliveries.retryNow(req.params.id)
    return reply.code(202).send(deliveryView(await withDb(() => getDelivery(s.db, req.params.id))))
  })
}
