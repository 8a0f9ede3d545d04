/** The event log of a source (filters, keyset paging, live tail) and the payload inspector. */
import type { FastifyInstance } from 'fastify'
import {
  deliveriesOfEvent,
  getEvent,
  getSource,
  listSources,
  listSubscriptions,
  MAX_JSON_DEPTH,
  shownHeaders,
  withDb,
} from '@webhook-relay/core/admin'
import { hexDump, jsonTree, parseJson, rawText } from '../payload.ts'
import { EVENT_STATUSES, eventLog, PAGE_SIZE, SEARCH_WINDOW, type EventFilter, type LogRow } from '../queries.ts'
import { page, partial } from '../render.ts'
import { UI_PREFIX } from '../session.ts'
import { field, uuidParam, type RouteOptions } from './context.ts'

export const TAIL_SECONDS = 3

type LogQuery = { before?: string; status?: string; q?: string; since?: string; until?: string }

/** datetime-local values are the browser's local time; the page sends the offset-free value. */
const time = (v: string | undefined) => {
  if (!v) return undefined
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`)
  return Number.isFinite(ms) ? ms : undefined
}

/** One line of readable text: control bytes and undecodable bytes become spaces. */
const preview = (r: LogRow) => [...r.head.toString('utf8')].map((c) => (c < ' ' || c === '\uFFFD' ? ' ' : c)).join('').replace(/ +/g, ' ')

export async function eventRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: LogQuery }>('/sources/:id/events', async (req, reply) => {
    const source = await withDb(() => getSource(s.db, req.params.id))
    const q = req.query
    const filter: EventFilter = {
      sourceId: source.id,
      before: uuidParam(q.before),
      status: (EVENT_STATUSES as readonly string[]).includes(q.status ?? '') ? q.status : undefined,
      q: q.q?.trim() || undefined,
      since: time(q.since),
      until: time(q.until),
    }
    const rows = await withDb(() => eventLog(s.db, filter))
    const filtered = Boolean(filter.status || filter.q || filter.since || filter.until)
    const params = new URLSearchParams(Object.entries({ status: q.status, q: q.q, since: q.since, until: q.until }).filter(([, v]) => v) as [string, string][])
    if (rows.length === PAGE_SIZE) params.set('before', rows.at(-1)!.id)
    return page(req, reply, 'events.njk', {
      nav: 'sources',
      source,
      publicUrl: s.publicUrl,
      rows: rows.map((r) => ({ ...r, preview: preview(r) })),
      query: q,
      searchWindow: SEARCH_WINDOW,
      statuses: EVENT_STATUSES,
      olderUrl: rows.length === PAGE_SIZE ? `${UI_PREFIX}/sources/${source.id}/events?${params}` : null,
      // Live tail only on the unfiltered first page, where new events belong at the top.
      tail: !filtered && !filter.before ? { after: rows[0]?.id ?? '', seconds: TAIL_SECONDS } : null,
    })
  })

  // Every source's events: the same filters and search, plus the source.
  app.get<{ Querystring: LogQuery & { sourceId?: string } }>('/events', async (req, reply) => {
    const q = req.query
    const sourceId = uuidParam(q.sourceId)
    const filter: EventFilter = {
      sourceId,
      before: uuidParam(q.before),
      status: (EVENT_STATUSES as readonly string[]).includes(q.status ?? '') ? q.status : undefined,
      q: q.q?.trim() || undefined,
      since: time(q.since),
      until: time(q.until),
    }
    const [rows, sources] = await withDb(() => Promise.all([eventLog(s.db, filter), listSources(s.db)]))
    const names = new Map(sources.map((x) => [x.id, x.name]))
    const params = new URLSearchParams(Object.entries({ sourceId, status: q.status, q: q.q, since: q.since, until: q.until }).filter(([, v]) => v) as [string, string][])
    if (rows.length === PAGE_SIZE) params.set('before', rows.at(-1)!.id)
    return page(req, reply, 'events.njk', {
      nav: 'events',
      source: null,
      sources,
      rows: rows.map((r) => ({ ...r, preview: preview(r), sourceName: names.get(r.source_id) ?? '' })),
      query: q,
      searchWindow: SEARCH_WINDOW,
      statuses: EVENT_STATUSES,
      olderUrl: rows.length === PAGE_SIZE ? `${UI_PREFIX}/events?${params}` : null,
      tail: null,
    })
  })

  app.get<{ Params: { id: string }; Querystring: { after?: string } }>('/sources/:id/events/tail', async (req, reply) => {
    const after = uuidParam(req.query.after)
    const rows = await withDb(() => eventLog(s.db, { sourceId: req.params.id, after }, PAGE_SIZE))
    return partial(req, reply, 'partials/event-tail.njk', {
      source: { id: req.params.id },
      rows: rows.map((r) => ({ ...r, preview: preview(r) })),
      tail: { after: rows[0]?.id ?? after ?? '', seconds: TAIL_SECONDS },
    })
  })

  app.get<{ Params: { id: string }; Querystring: { replayed?: string } }>('/events/:id', async (req, reply) => {
    const e = await withDb(() => getEvent(s.db, req.params.id))
    const [deliveries, subscriptions, source] = await withDb(() =>
      Promise.all([deliveriesOfEvent(s.db, e.id), listSubscriptions(s.db, e.source_id), getSource(s.db, e.source_id)]),
    )
    const json = parseJson(e.body)
    const subsById = new Map(subscriptions.map((x) => [x.id, x]))
    return page(req, reply, 'event.njk', {
      nav: 'sources',
      event: e,
      verification: typeof source.verification?.type === 'string' ? source.verification.type : null,
      size: e.body.length,
      tree: json.ok ? jsonTree(json.value) : null,
      tooDeep: json.ok ? null : json.reason === 'too-deep' ? MAX_JSON_DEPTH : null,
      raw: rawText(e.body),
      hex: hexDump(e.body),
      headers: Object.entries(shownHeaders(e.headers, s.config.eventCredentialHeaders)).sort(([a], [b]) => a.localeCompare(b)),
      deliveries: deliveries.map((d) => ({ ...d, subscription: subsById.get(d.subscription_id) })),
      filtered: (e.filtered_subscriptions ?? []).map((id) => ({ id, subscription: subsById.get(id) })),
      subscriptions,
    })
  })

  app.post<{ Params: { id: string } }>('/events/:id/replay', async (req, reply) => {
    const e = await withDb(() => getEvent(s.db, req.params.id))
    const subId = uuidParam(field(req.body, 'subscriptionId'))
    const subs = await withDb(() => listSubscriptions(s.db, e.source_id))
    const sub = subs.find((x) => x.id === subId)
    if (!sub) return page(req, reply, 'error.njk', { status: 400, message: 'Pick a subscription of this event\'s source to replay to.' }, 400)
    const id = await s.deliveries.replayEvent(e.id, sub.id)
    return reply.redirect(`${UI_PREFIX}/deliveries/${id}?replayed=1`, 303)
  })
}
