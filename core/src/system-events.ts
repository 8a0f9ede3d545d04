/**
 * The relay's own events: a circuit opened or closed, a subscription disabled. Each is an
 * event of the system source (slug `relay-events`, created the first time one is
 * emitted), fanned out like any other, so a subscription on that source can act on it:
 * an Opsgenie or PagerDuty incident when a destination starts failing, resolved when it
 * recovers. Ingest refuses the system source, so nobody can post a forged one. The body
 * is JSON: { type, occurredAt, data } (docs/delivery-control.md lists the types).
 */
import type { Logger } from 'pino'
import { sql } from 'slonik'
import Type from 'typebox'
import type { Db } from './db/pool.ts'
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
  /** Stores and enqueues one event; null when there is no system source (its slug is a user's source). */
  emit(type: SystemEventType, data: Record<string, unknown>): Promise<string | null>
}

export function systemEvents(d: { db: Db; redis: RelayRedis; keys: Keys; log: Logger }): SystemEvents {
  let sourceId: string | null = null
  const source = async (): Promise<string | null> => {
    if (sourceId) return sourceId
    await d.db.query(sql.unsafe`INSERT INTO sources (id, name, slug, mode, enabled, system)
      VALUES (${newId()}, ${SYSTEM_SOURCE.name}, ${SYSTEM_SOURCE.slug}, 'active', true, true) ON CONFLICT (slug) DO NOTHING`)
    sourceId = await d.db.maybeOneFirst(sql.type(SourceId)`SELECT id FROM sources WHERE slug = ${SYSTEM_SOURCE.slug} AND system`)
    return sourceId
  }
  return {
    async emit(type, data) {
      const id = await source()
      if (!id) {
        d.log.warn({ type, slug: SYSTEM_SOURCE.slug }, 'system event not stored: a source of its own holds the slug relay-events')
        return null
      }
      const occurredAt = new Date()
      const eventId = newId()
      try {
        await insertEvents(d.db, [{
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
        // Someone deleted the system source: it is made again next time.
        sourceId = null
        throw err
      }
      await enqueueEvents(d.redis, d.keys, [eventId])
      return eventId
    },
  }
}
