/**
 * /api/v1/dead-letters: list (filters, paging), get (with the attempt history), replay
 * one, replay many by filter (bounded), discard. Mounted behind the admin bearer token.
 */
import type { FastifyInstance } from 'fastify'
import type { LifecycleDeps } from '@webhook-relay/core/plugin'
import Type, { type Static } from 'typebox'
import { badCursor, deadLetterNotFound } from './errors.ts'
import { FilterFields } from './filters.ts'
import { countDeadLetters, getDeadLetter, listDeadLetters, oldestDeadLetterIds } from './store.ts'

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 500
/** One replay-many call moves at most this many; call again for the rest (`remaining`). */
export const DEFAULT_REPLAY_LIMIT = 100
export const MAX_REPLAY_LIMIT = 1000

const tags = ['dead letters']
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

export function deadLetterRoutes(deps: LifecycleDeps) {
  const { db } = deps
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: Static<typeof ListQuery> }>(
      '/dead-letters',
      { schema: { tags, querystring: ListQuery, summary: 'List dead letters, newest first' } },
      async (req) => {
        const page = await listDeadLetters(db, { ...req.query, limit: req.query.limit ?? DEFAULT_PAGE_SIZE })
        if (!page) throw badCursor()
        return page
      },
    )

    app.get<{ Params: Static<typeof IdParams> }>(
      '/dead-letters/:id',
      { schema: { tags, params: IdParams, summary: 'Get a dead letter with the delivery’s attempt history' } },
      async (req) => {
        const dl = await getDeadLetter(db, req.params.id)
        const detail = dl && (await deps.deliveryDetail(dl.deliveryId))
        if (!dl || !detail) throw deadLetterNotFound(req.params.id)
        return { ...dl, attempts: detail.attempts }
      },
    )

    app.post<{ Params: Static<typeof IdParams> }>(
      '/dead-letters/:id/replay',
      { schema: { tags, params: IdParams, summary: 'Replay one: due now, fresh attempt count, same webhook-id' } },
      async (req, reply) => {
        if ((await deps.deliveries.replayDead([req.params.id])).length === 0) throw deadLetterNotFound(req.params.id)
        return reply.code(202).send(await deps.deliveryDetail(req.params.id))
      },
    )

    app.post<{ Body: Static<typeof ReplayManyBody> }>(
      '/dead-letters/replay',
      { schema: { tags, body: ReplayManyBody, summary: 'Replay the oldest dead letters matching a filter, up to limit' } },
      async (req, reply) => {
        const { limit = DEFAULT_REPLAY_LIMIT, ...filter } = req.body
        const ids = await deps.deliveries.replayDead(await oldestDeadLetterIds(db, filter, limit))
        return reply.code(202).send({ replayed: ids.length, remaining: await countDeadLetters(db, filter) })
      },
    )

    app.delete<{ Params: Static<typeof IdParams> }>(
      '/dead-letters/:id',
      { schema: { tags, params: IdParams, summary: 'Discard: remove the dead letter and mark the delivery discarded' } },
      async (req, reply) => {
        if ((await deps.deliveries.discardDead([req.params.id])).length === 0) throw deadLetterNotFound(req.params.id)
        deps.log.info({ deliveryId: req.params.id }, 'dead letter discarded')
        return reply.code(204).send()
      },
    )
  }
}
