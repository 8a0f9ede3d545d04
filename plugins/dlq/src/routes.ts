/**
 * /api/v1/dead-letters: list (filters, paging), get (with the attempt history), replay
 * one, replay many by filter (bounded), discard. Mounted behind the admin bearer token.
 */
import { answer, type LifecycleContext, type Routes } from '@webhook-relay/plugin-sdk'
import Type from 'typebox'
import { badCursor, deadLetterNotFound } from './errors.ts'
import { FilterFields } from './filters.ts'

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 500
/** One replay-many call moves at most this many; call again for the rest (`remaining`). */
export const DEFAULT_REPLAY_LIMIT = 100
export const MAX_REPLAY_LIMIT = 1000

const IdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'The delivery id.' }) })
const ListQuery = Type.Object({
  ...FilterFields,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })),
  before: Type.Optional(Type.String({ maxLength: 80, description: 'nextBefore of the previous page.' })),
})
const ReplayManyBody = Type.Object(
  {
    ...FilterFields,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_REPLAY_LIMIT, default: DEFAULT_REPLAY_LIMIT, description: 'Oldest first, at most this many.' })),
  },
  { additionalProperties: false },
)

export function deadLetterRoutes(routes: Routes, { deliveries, log }: LifecycleContext): void {
  routes.get('/dead-letters', { summary: 'List dead letters, newest first', query: ListQuery }, async ({ query }) => {
    const page = await deliveries.listDead({ ...query, limit: query.limit ?? DEFAULT_PAGE_SIZE })
    if (!page) throw badCursor()
    return page
  })

  routes.get('/dead-letters/:id', { summary: 'Get a dead letter with the delivery’s attempt history', params: IdParams }, async ({ params }) => {
    const dl = await deliveries.getDead(params.id)
    const detail = dl && (await deliveries.detail(dl.deliveryId))
    if (!dl || !detail) throw deadLetterNotFound(params.id)
    return { ...dl, attempts: detail.attempts }
  })

  routes.post('/dead-letters/:id/replay', { summary: 'Replay one: due now, fresh attempt count, same webhook-id', params: IdParams }, async ({ params }) => {
    if ((await deliveries.replayDead([params.id])).length === 0) throw deadLetterNotFound(params.id)
    return answer(202, await deliveries.detail(params.id))
  })

  routes.post('/dead-letters/replay', { summary: 'Replay the oldest dead letters matching a filter, up to limit', body: ReplayManyBody }, async ({ body }) => {
    const { limit = DEFAULT_REPLAY_LIMIT, ...filter } = body
    const ids = await deliveries.replayDead(await deliveries.oldestDeadIds(filter, limit))
    return answer(202, { replayed: ids.length, remaining: await deliveries.countDead(filter) })
  })

  routes.delete('/dead-letters/:id', { summary: 'Discard: remove the dead letter and mark the delivery discarded', params: IdParams }, async ({ params }) => {
    if ((await deliveries.discardDead([params.id])).length === 0) throw deadLetterNotFound(params.id)
    log.info({ deliveryId: params.id }, 'dead letter discarded')
    return answer(204)
  })
}
