/** Deliveries: filtered list, detail with the full attempt history, retry now. */
import type { FastifyInstance } from 'fastify'
import {
  attemptView,
  DELIVERY_STATUSES,
  RETRYABLE_NOW,
  Status,
  type DeliveryStatus,
  getDelivery,
  getSource,
  getSubscription,
  listAttempts,
  listDeliveries,
  listSources,
  withDb,
} from '@webhook-relay/core/admin'
import { destinations } from '../destinations.ts'
import { prettyIfJson } from '../payload.ts'
import { PAGE_SIZE } from '../queries.ts'
import { page } from '../render.ts'
import { UI_PREFIX } from '../session.ts'
import { uuidParam, type RouteOptions } from './context.ts'

type ListQuery = { status?: string; sourceId?: string; subscriptionId?: string; before?: string }

/** Pretty-print a JSON body for reading; anything else is shown as stored. */
function readable(body: string | null, encoding: string | null): string | null {
  if (body === null || encoding !== 'utf8') return body
  return prettyIfJson(body)
}

/**
 * What an attempt's badge says. The stored outcome is the plugin's verdict ("retry"),
 * but the last attempt of a delivery that went dead was not retried: say what happened.
 */
function attemptLabel(outcome: string, deliveryStatus: string | null, deadReason: string | null): string {
  if (outcome === 'ok') return 'delivered'
  if (outcome === 'skip') return 'skipped'
  if (outcome === 'fail') return 'failed'
  if (deliveryStatus === Status.dead) return deadReason === 'exhausted' ? 'failed, retries used up' : 'failed'
  if (deliveryStatus === Status.discarded) return 'failed, discarded'
  return deliveryStatus === null || deliveryStatus === Status.retrying || deliveryStatus === Status.paused ? 'failed, retried' : 'failed'
}

export async function deliveryRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  app.get<{ Querystring: ListQuery }>('/deliveries', async (req, reply) => {
    const q = req.query
    const filter = {
      status: (DELIVERY_STATUSES as readonly string[]).includes(q.status ?? '') ? (q.status as DeliveryStatus) : undefined,
      sourceId: uuidParam(q.sourceId),
      subscriptionId: uuidParam(q.subscriptionId),
      before: uuidParam(q.before),
    }
    const [rows, sources] = await withDb(() => Promise.all([listDeliveries(s.db, { ...filter, limit: PAGE_SIZE }), listSources(s.db)]))
    const params = new URLSearchParams(Object.entries({ ...filter, before: undefined }).filter(([, v]) => v) as [string, string][])
    if (rows.length === PAGE_SIZE) params.set('before', rows.at(-1)!.id)
    const sourceNames = new Map(sources.map((x) => [x.id, x.name]))
    const to = await destinations(s, rows.map((r) => r.subscription_id))
    return page(req, reply, 'deliveries.njk', {
      nav: 'deliveries',
      rows: rows.map((r) => ({ ...r, sourceName: sourceNames.get(r.source_id) ?? '', destination: to.get(r.subscription_id) })),
      sources,
      statuses: DELIVERY_STATUSES,
      query: filter,
      olderUrl: rows.length === PAGE_SIZE ? `${UI_PREFIX}/deliveries?${params}` : null,
    })
  })

  app.get<{ Params: { id: string }; Querystring: { replayed?: string; retried?: string; test?: string } }>('/deliveries/:id', async (req, reply) => {
    const d = await withDb(() => getDelivery(s.db, req.params.id))
    const [attempts, sub] = await withDb(() => Promise.all([listAttempts(s.db, d.id), getSubscription(s.db, d.subscription_id)]))
    const source = await withDb(() => getSource(s.db, d.source_id))
    return page(req, reply, 'delivery.njk', {
      nav: 'deliveries',
      delivery: d,
      subscription: sub,
      source,
      // Numbered by their place in the whole history (a retry of a dead delivery starts its
      // attempt count, and so the schedule, over; the history does not), newest first.
      attempts: attempts.map((a, i) => {
        const v = attemptView(a)
        const last = i === attempts.length - 1
        return {
          ...v,
          number: i + 1,
          label: attemptLabel(v.status, last ? d.status : null, d.dead_reason),
          startedAtMs: a.started_at,
          requestBody: v.request ? readable(v.request.body, v.request.bodyEncoding) : null,
          responseBody: v.response ? readable(v.response.body, v.response.bodyEncoding) : null,
        }
      }).reverse(),
      totalAttempts: attempts.length,
      retryable: RETRYABLE_NOW.includes(d.status as DeliveryStatus),
      flash: req.query.test ? 'Test event sent: this delivery is its only one (origin test: the stored event, marked x-relay-test: true, is delivered to this subscription alone).' : req.query.replayed ? 'Replay queued: a new delivery of the stored event.' : req.query.retried ? 'Retry queued.' : null,
    })
  })

  app.post<{ Params: { id: string } }>('/deliveries/:id/retry', async (req, reply) => {
    const d = await withDb(() => getDelivery(s.db, req.params.id))
    try {
      await s.deliveries.retryNow(d.id)
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err
      return page(req, reply, 'error.njk', { status: 409, message: (err as Error).message }, 409)
    }
    return reply.redirect(`${UI_PREFIX}/deliveries/${d.id}?retried=1`, 303)
  })
}
