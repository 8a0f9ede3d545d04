/**
 * The filter stage of fan-out: for events whose source has a subscription with a filter
 * (createFanout leaves them pending), read each event's headers and body once, run every
 * enabled subscription's filter over them, and say which subscriptions get a delivery.
 * The body is parsed by the relay's one JSON rule (jsonOfBody); a filter is compiled once
 * per distinct rule (storedFilter).
 */
import { sql } from 'slonik'
import Type from 'typebox'
import { jsonOfBody } from '@webhook-relay/plugin-sdk'
import type { Queryable } from '../db/pool.ts'
import { row } from '../db/row.ts'
import type { FilteredFanout } from '../delivery/transitions.ts'
import { storedFilter, type FilterRule } from '../filter/event-filter.ts'

const PendingEvent = row(Type.Object({
  id: Type.String(),
  source_id: Type.String(),
  content_type: Type.Union([Type.Null(), Type.String()]),
  headers: Type.Record(Type.String(), Type.String()),
  body: Type.Unsafe<Buffer>({}),
}))
const SubscriptionFilter = row(Type.Object({ id: Type.String(), source_id: Type.String(), filter: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())]) }))

export interface FilterLog {
  warn(obj: object, msg?: string): void
}

export async function decideFilteredFanout(db: Queryable, eventIds: readonly string[], log: FilterLog): Promise<FilteredFanout[]> {
  if (eventIds.length === 0) return []
  const events = await db.any(sql.type(PendingEvent)`SELECT e.id, e.source_id, e.content_type, e.headers, e.body
    FROM events e WHERE e.id = ANY(${sql.array(eventIds, 'uuid')}) AND e.fanout_status = 'pending'`)
  if (events.length === 0) return []
  const sourceIds = [...new Set(events.map((e) => e.source_id))]
  const subscriptions = await db.any(sql.type(SubscriptionFilter)`SELECT id, source_id, filter FROM subscriptions
    WHERE source_id = ANY(${sql.array(sourceIds, 'uuid')}) AND enabled ORDER BY id`)
  const bySource = Map.groupBy(subscriptions, (s) => s.source_id)
  return events.map((e) => {
    const deliver: string[] = []
    const filtered: string[] = []
    let json: unknown = null
    let parsed = false
    const subject = {
      headers: e.headers,
      get json() {
        if (!parsed) [json, parsed] = [jsonOfBody(e.content_type, e.body), true]
        return json
      },
    }
    for (const s of bySource.get(e.source_id) ?? []) {
      if (!s.filter) {
        deliver.push(s.id)
        continue
      }
      let pass: boolean
      try {
        pass = storedFilter(s.filter as FilterRule)(subject)
      } catch (err) {
        // Stored filters were checked when saved; one this relay cannot compile (written
        // by a newer version, say) delivers rather than loses the event.
        log.warn({ subscriptionId: s.id, err: (err as Error).message }, 'subscription filter does not compile; delivering unfiltered')
        pass = true
      }
      ;(pass ? deliver : filtered).push(s.id)
    }
    return { eventId: e.id, deliver, filtered }
  })
}
