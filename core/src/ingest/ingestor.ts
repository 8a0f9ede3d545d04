/**
 * The write half of ingest: group-commits events to Postgres, then writes their stream
 * entries in one pipeline, and only then lets each request answer. If the stream write
 * fails, the batch's rows are deleted again and every request gets 503, so the sender
 * retries and nothing is half-accepted.
 */
import type { Span } from '@opentelemetry/api'
import type { Db } from '../db/pool.ts'
import { withDb } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { isRedisReady, type RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import { deleteEvents, insertEvents, type NewEvent } from '../store/events.ts'
import { ATTR } from '../telemetry/attributes.ts'
import { parentOf, startBatchWriteSpan, startSendSpan } from '../telemetry/stream-spans.ts'
import { failSpan, isTracing, traced, traceparentOf } from '../telemetry/tracer.ts'
import type { TrafficRollup } from '../traffic/rollup.ts'
import { GroupCommit } from '../util/group-commit.ts'

export interface IngestResult {
  readonly id: string
  readonly duplicate: boolean
}

/** Concurrent group commits; each holds one pool connection while it writes. */
const MAX_IN_FLIGHT = 4

/** An event to store; `span` is the request's server span when tracing is on. */
export type IngestItem = NewEvent & { span?: Span }

export class Ingestor {
  readonly #batcher: GroupCommit<IngestItem, IngestResult>
  readonly #redis: RelayRedis

  constructor(deps: { db: Db; redis: RelayRedis; keys: Keys; metrics: Metrics; traffic: TrafficRollup; maxBatch: number; maxWaitMs: number }) {
    const { db, redis, keys, metrics } = deps
    this.#redis = redis
    this.#batcher = new GroupCommit({
      maxBatch: deps.maxBatch,
      maxWaitMs: deps.maxWaitMs,
      maxInFlight: MAX_IN_FLIGHT,
      onBatch: (n) => metrics.ingestBatchSize.observe(n),
      flush: async (rows) => {
        // One INSERT serves many requests: its span is a root linked to each request's span.
        const write = isTracing() ? startBatchWriteSpan({ operation: 'INSERT', table: 'events', serves: rows.map((r) => r.span) }) : undefined
        const results = await traced(write, () => withDb(() => insertEvents(db, rows)))
        const fresh = rows.filter((r, i) => !results[i]!.duplicate)
        const toStream = fresh.filter((r) => r.fanoutStatus === 'pending')
        if (toStream.length > 0) {
          const pipe = redis.pipeline()
          // A producer span per entry; its context travels in the entry's `tp` field.
          const sends = isTracing() ? toStream.map((r) => (r.span ? startSendSpan(parentOf(r.span), keys.events, { [ATTR.eventId]: r.id }) : undefined)) : []
          toStream.forEach((r, i) => {
            const tp = sends[i] && traceparentOf(sends[i])
            if (tp) pipe.xadd(keys.events, '*', 'e', r.id, 'tp', tp)
            else pipe.xadd(keys.events, '*', 'e', r.id)
          })
          const replies = await pipe.exec().catch((err: Error) => [[err, null]] as [Error, null][])
          sends.forEach((send, i) => {
            if (!send) return
            const [err, entryId] = replies?.[i] ?? [new Error('no reply'), null]
            if (err) failSpan(send, err)
            else send.setAttribute(ATTR.messagingMessageId, String(entryId))
            send.end()
          })
          if (!replies || replies.some(([err]) => err)) {
            await deleteEvents(db, fresh.map((r) => r.id)).catch(() => {
              // If even this fails the rows stay; the reconciler enqueues them later.
            })
            throw new Errors.STORE_UNAVAILABLE('redis')
          }
        }
        for (const r of fresh) deps.traffic.event(r.sourceId)
        return results
      },
    })
  }

  /** Stores one event (batched with its neighbours); resolves after commit and stream write. */
  ingest(event: IngestItem): Promise<IngestResult> {
    if (event.fanoutStatus === 'pending' && !isRedisReady(this.#redis)) {
      return Promise.reject(new Errors.STORE_UNAVAILABLE('redis'))
    }
    return this.#batcher.add(event.span ? { ...event, traceparent: traceparentOf(event.span) } : event)
  }

  drain(): Promise<void> {
    return this.#batcher.drain()
  }
}
