/**
 * Fan-out stage: event entries in, one delivery per enabled subscription out (per
 * subscription whose filter passes, where one has a filter: fanout-filter.ts).
 * Idempotent (delivery/transitions.ts createFanout), so a reclaimed or duplicate entry is harmless.
 * With tracing on, each entry gets a consumer span (child of the ingest producer span
 * its `tp` names) and each delivery a producer span whose context goes into its entry.
 */
import type { Span } from '@opentelemetry/api'
import type { Db } from '../db/pool.ts'
import { enqueueTracedDeliveries } from '../queue/enqueue.ts'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import { FANOUT_GROUP } from '../redis/keys.ts'
import { createFanout, createFilteredFanout } from '../delivery/transitions.ts'
import { isUuid } from '../store/ids.ts'
import { ATTR } from '../telemetry/attributes.ts'
import { parentOf, startBatchWriteSpan, startProcessSpan, startSendSpan } from '../telemetry/stream-spans.ts'
import { failSpan, isTracing, traced, traceparentOf } from '../telemetry/tracer.ts'
import { decideFilteredFanout, type FilterLog } from './fanout-filter.ts'
import type { StreamEntry } from './stream-consumer.ts'

export interface FanoutDeps {
  readonly db: Db
  readonly log: FilterLog
  /** Called with the number of event and subscription pairs the filters rejected. */
  readonly onFiltered?: (n: number) => void
}

/**
 * Both statements of fan-out, the second only for events a filter has to decide; returns
 * the pending fan-out deliveries to enqueue.
 */
export async function fanOutEvents(deps: FanoutDeps, eventIds: readonly string[]): Promise<readonly { id: string; event_id: string }[]> {
  const first = await createFanout(deps.db, eventIds)
  if (first.toFilter.length === 0) return first.deliveries
  const decided = await decideFilteredFanout(deps.db, first.toFilter, deps.log)
  const filtered = decided.reduce((n, d) => n + d.filtered.length, 0)
  if (filtered > 0) deps.onFiltered?.(filtered)
  return [...first.deliveries, ...(await createFilteredFanout(deps.db, decided))]
}

export function fanoutHandler(deps: FanoutDeps & { redis: RelayRedis; keys: Keys }) {
  const { redis, keys } = deps
  const fanOut = (eventIds: readonly string[]) => fanOutEvents(deps, eventIds)
  return async (entries: StreamEntry[]): Promise<void> => {
    const eventIds = [...new Set(entries.map((e) => e.fields.e).filter((id): id is string => !!id && isUuid(id)))]
    if (!isTracing()) {
      const deliveries = await fanOut(eventIds)
      // XADDs and XACK in one round trip. Redis runs each even if one before it failed (OOM):
      // the deliveries are committed pending, so the reconciler enqueues any XADD lost here.
      await enqueueTracedDeliveries(redis, keys, deliveries.map((d) => ({ id: d.id })), { stream: keys.events, group: FANOUT_GROUP, entryIds: entries.map((e) => e.id) })
      return
    }
    const spans = entries.map((e) => startProcessSpan({
      streamKey: keys.events,
      group: FANOUT_GROUP,
      entryId: e.id,
      traceparent: e.fields.tp,
      attributes: e.fields.e ? { [ATTR.eventId]: e.fields.e } : {},
    }))
    const byEvent = new Map<string, Span>()
    entries.forEach((e, i) => {
      if (e.fields.e && !byEvent.has(e.fields.e)) byEvent.set(e.fields.e, spans[i]!)
    })
    try {
      const write = startBatchWriteSpan({ operation: 'INSERT', table: 'deliveries', serves: spans })
      const deliveries = await traced(write, () => fanOut(eventIds))
      const sends = deliveries.map((d) => {
        const parent = byEvent.get(d.event_id)
        return parent && startSendSpan(parentOf(parent), keys.deliveries, { [ATTR.deliveryId]: d.id, [ATTR.eventId]: d.event_id })
      })
      try {
        const entryIds = await enqueueTracedDeliveries(redis, keys, deliveries.map((d, i) => ({ id: d.id, traceparent: traceparentOf(sends[i]) })))
        sends.forEach((s, i) => s?.setAttribute(ATTR.messagingMessageId, entryIds[i]!))
      } catch (err) {
        for (const s of sends) failSpan(s, err)
        throw err
      } finally {
        for (const s of sends) s?.end()
      }
      await redis.xack(keys.events, FANOUT_GROUP, ...entries.map((e) => e.id))
    } catch (err) {
      for (const s of spans) failSpan(s, err)
      throw err
    } finally {
      for (const s of spans) s.end()
    }
  }
}
