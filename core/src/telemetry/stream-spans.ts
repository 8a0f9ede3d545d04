/**
 * Spans for the Redis Streams hops, following the messaging semantic conventions: a
 * PRODUCER `send` span per entry written (its context goes into the entry's `tp`
 * field), and a CONSUMER `process` span per entry read, a child of that producer span
 * (so a webhook stays one trace) that also links to it, as the conventions ask of
 * consumers. Batched database writes get one span linked to every request they serve.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api'
import { ATTR, DB_SYSTEM, MESSAGING_SYSTEM } from './attributes.ts'
import { contextFrom, spanContextFrom, tracer } from './tracer.ts'

/** Destination names without the deployment's key prefix: `relay:v1:events`, as metrics name them. */
export function destinationName(streamKey: string): string {
  const at = streamKey.indexOf('relay:')
  return at >= 0 ? streamKey.slice(at) : streamKey
}

export function startSendSpan(parent: Context, streamKey: string, attributes: Attributes = {}): Span {
  const destination = destinationName(streamKey)
  return tracer.startSpan(`send ${destination}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      [ATTR.messagingSystem]: MESSAGING_SYSTEM,
      [ATTR.messagingOperationType]: 'send',
      [ATTR.messagingOperationName]: 'send',
      [ATTR.messagingDestination]: destination,
      ...attributes,
    },
  }, parent)
}

/**
 * The CONSUMER span for one stream entry. With no `tp` (retry mover, reconciler,
 * replay) it starts a new trace, linked to `original` when the caller knows the
 * webhook's first trace.
 */
export function startProcessSpan(o: {
  name?: string
  streamKey: string
  group: string
  entryId: string
  traceparent: string | undefined
  original?: string | null
  attributes?: Attributes
}): Span {
  const destination = destinationName(o.streamKey)
  const producer = spanContextFrom(o.traceparent)
  const original = producer ? undefined : spanContextFrom(o.original)
  const links = producer
    ? [{ context: producer, attributes: { 'relay.link': 'producer' } }]
    : original ? [{ context: original, attributes: { 'relay.link': 'original_trace' } }] : []
  return tracer.startSpan(o.name ?? `process ${destination}`, {
    kind: SpanKind.CONSUMER,
    root: !producer,
    links,
    attributes: {
      [ATTR.messagingSystem]: MESSAGING_SYSTEM,
      [ATTR.messagingOperationType]: 'process',
      [ATTR.messagingOperationName]: 'process',
      [ATTR.messagingDestination]: destination,
      [ATTR.messagingConsumerGroup]: o.group,
      [ATTR.messagingMessageId]: o.entryId,
      ...o.attributes,
    },
  }, producer ? contextFrom(o.traceparent) : ROOT_CONTEXT)
}

/** One span for a write that serves many traces (group commit): a root linked to each. */
export function startBatchWriteSpan(o: { operation: string; table: string; serves: readonly (Span | undefined)[] }): Span {
  const links = []
  for (const s of o.serves) if (s) links.push({ context: s.spanContext() })
  return tracer.startSpan(`${o.operation} ${o.table}`, {
    kind: SpanKind.CLIENT,
    root: true,
    links,
    attributes: {
      [ATTR.dbSystem]: DB_SYSTEM,
      [ATTR.dbOperation]: o.operation,
      [ATTR.dbCollection]: o.table,
      [ATTR.dbBatchSize]: o.serves.length,
    },
  })
}

/** A span's context as a parent for children started outside `context.with`. */
export const parentOf = (span: Span): Context => trace.setSpan(ROOT_CONTEXT, span)
