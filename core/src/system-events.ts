/**
 * The relay's own events: a circuit opened or closed, a subscription disabled. Each is an
 * event of the system source (slug `relay-events`, created the first time one is
 * emitted), fanned out like any other, so a subscription on that source can act on it:
 * an Opsgenie or PagerDuty incident when a destination starts failing, resolved when it
 * recovers. Ingest refuses the system source, so nobody can post a forged one. The body
 * is JSON: { type, occurredAt, data } (docs/delivery-control.md lists the types).
 *
 * An event is stored in the transaction of the change it reports (both or neither), and
 * enqueued after the commit; one the enqueue missed is still pending, which the
 * reconciler enqueues.
 */
import type { Logger } from 'pino'
import { sql } from 'slonik'
import Type from 'typebox'
import type { Queryable } from './db/pool.ts'
import { row } from './db/row.ts'
import { enqueueEvents } from './queue/enqueue.ts'
import type { RelayRedis } from './redis/client.ts'
import type { Keys } from './redis/keys.ts'
import { insertEvents } from './store/events.ts'
import { newId } from './store/ids.ts'

export const SYSTEM_SOURCE = { slug: 'relay-events', name: 'Relay events' } as const

export type SystemEventType = 'circuit.opened' | 'circuit.closed' | 'subscription.disabled'

const SourceId = row(Type.Object({ id: Type.String() }))

export interface SystemEvents {
  /** Stores one event in `tx`; its id, to enqueue after the commit; null when there is no system source (its slug is a user's source). */
  store(tx: Queryable, type: SystemEventType, data: Record<string, unknown>): Promise<string | null>
  /** Enqueues stored events for fan-out, after their transaction committed. */
  enqueue(eventIds: readonly (string | null)[]): Promise<void>
}

export function systemEvents(d: { redis: RelayRedis; keys: Keys; log: Logger }): SystemEvents {
  let sourceId: string | null = null
  const source = async (tx: Queryable): Promise<string | null> => {
    if (sourceId) return sourceId
    await tx.query(sql.unsafe`INSERT INTO sources (id, name, slug, mode, enabled, system)
      VALUES (${newId()}, ${SYSTEM_SOURCE.name}, ${SYSTEM_SOURCE.slug}, 'active', true, true) ON CONFLICT (slug) DO NOTHING`)
    sourceId = await tx.maybeOneFirst(sql.type(SourceId)`SELECT id FROM sources WHERE slug = ${SYSTEM_SOURCE.slug} AND system`)
    return sourceId
  }
  return {
    async enqueue(eventIds) {
      await enqueueEvents(d.redis, d.keys, eventIds.filter((x): x is string => x !== null))
    },
    async store(tx, type, data) {
      const id = await source(tx)
      if (!id) {
        d.log.warn({ type, slug: SYSTEM_SOURCE.slug }, 'system event not stored: a source of its own holds the slug relay-events')
        return null
      }
      const occurredAt = new Date()
      const eventId = newId()
      try {
        await insertEvents(tx, [{
        id: eventId,
        sourceId: id,
        receivedAt: occurredAt.getTime(),
        contentType: 'application/json',
        headers: { 'content-type': 'application/json', 'x-relay-event': type },
        body: Buffer.from(JSON.stringify({ type, occurredAt: occurredAt.toISOString(), data })),
        idempotencyKey: null,
        fanoutStatus: 'pending',
        }])
      } catch (err) {
        // Someone deleted the system source (or the transaction that made it rolled back): made again next time.
        sourceId = null
        throw err
      }
      return eventId
    },
  }
}
