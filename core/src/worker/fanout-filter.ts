/**
 * The filter stage of fan-out: for events whose source has a subscription with a filter
 * (createFanout leaves them pending), read each event's headers and body once, run every
 * enabled subscription's filter over them, and say which subscriptions get a delivery.
 * The body is parsed lazily by the relay's one JSON rule (toEventView); a filter is compiled once
 * per distinct rule (storedFilter).
 */
import type { Queryable } from '../db/pool.ts'
import type { FilteredFanout } from '../delivery/transitions.ts'
import { storedFilter } from '../filter/event-filter.ts'
import { pendingEvents, toEventView } from '../store/events.ts'
import { enabledFiltersOf } from '../store/subscriptions.ts'

export interface FilterLog {
  warn(obj: object, msg?: string): void
}

export async function decideFilteredFanout(db: Queryable, eventIds: readonly string[], log: FilterLog): Promise<FilteredFanout[]> {
  if (eventIds.length === 0) return []
  const events = await pendingEvents(db, eventIds)
  if (events.length === 0) return []
  const sourceIds = [...new Set(events.map((e) => e.source_id))]
  const bySource = Map.groupBy(await enabledFiltersOf(db, sourceIds), (s) => s.source_id)
  return events.map((e) => {
    const deliver: string[] = []
    const filtered: string[] = []
    // The event as plugins see it: its body parsed once, and only if a path condition asks.
    const subject = toEventView(e)
    for (const s of bySource.get(e.source_id) ?? []) {
      if (!s.filter) {
        deliver.push(s.id)
        continue
      }
      let pass: boolean
      try {
        pass = storedFilter(s.filter)(subject)
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
