/**
 * The dead-letter queue: list with filters, replay one or many (the delivery becomes due
 * now with a fresh attempt count and the same webhook-id), or discard (the dead letter
 * leaves the queue and the delivery becomes discarded; its attempts stay for the record).
 */
import type { FastifyInstance } from 'fastify'
import { listSources, withDb } from '@webhook-relay/core/admin'
import { deadLetters, PAGE_SIZE } from '../queries.ts'
import { page } from '../render.ts'
import { UI_PREFIX } from '../session.ts'
import { field, fields, uuidParam, type RouteOptions } from './context.ts'
import { destinations } from '../destinations.ts'

const REASONS = ['exhausted', 'permanent'] as const
/** One click replays at most a page; larger batches belong to the API. */
const MAX_BATCH = 500

export async function deadLetterRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  app.get<{ Querystring: { sourceId?: string; reason?: string; before?: string; done?: string; n?: string } }>('/dead-letters', async (req, reply) => {
    const q = req.query
    const filter = {
      sourceId: uuidParam(q.sourceId),
      reason: (REASONS as readonly string[]).includes(q.reason ?? '') ? q.reason : undefined,
      before: uuidParam(q.before),
    }
    const [rows, sources] = await withDb(() => Promise.all([deadLetters(s.db, filter), listSources(s.db)]))
    const params = new URLSearchParams(Object.entries({ sourceId: filter.sourceId, reason: filter.reason }).filter(([, v]) => v) as [string, string][])
    if (rows.length === PAGE_SIZE) params.set('before', rows.at(-1)!.delivery_id)
    const n = Number(q.n ?? 0)
    const to = await destinations(s, rows.map((r) => r.subscription_id))
    return page(req, reply, 'dead-letters.njk', {
      nav: 'dead-letters',
      rows: rows.map((r) => ({ ...r, destination: to.get(r.subscription_id) })),
      sources,
      reasons: REASONS,
      query: filter,
      olderUrl: rows.length === PAGE_SIZE ? `${UI_PREFIX}/dead-letters?${params}` : null,
      flash: q.done === 'replay' ? `${n} replay${n === 1 ? '' : 's'} queued.` : q.done === 'discard' ? `${n} dead letter${n === 1 ? '' : 's'} discarded.` : null,
    })
  })

  app.post('/dead-letters', async (req, reply) => {
    const ids = fields(req.body, 'ids').map(uuidParam).filter((x): x is string => x !== undefined).slice(0, MAX_BATCH)
    const op = field(req.body, 'op')
    if (ids.length === 0) return reply.redirect(`${UI_PREFIX}/dead-letters`, 303)
    if (op === 'discard') {
      const n = (await s.deliveries.discardDead(ids)).length
      return reply.redirect(`${UI_PREFIX}/dead-letters?done=discard&n=${n}`, 303)
    }
    const replayed = await s.deliveries.replayDead(ids)
    return reply.redirect(`${UI_PREFIX}/dead-letters?done=replay&n=${replayed.length}`, 303)
  })
}
