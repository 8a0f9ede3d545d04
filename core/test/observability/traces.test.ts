// One webhook's trace, as Tempo would show it: spans collected in memory from a relay
// running in this process (role all), checked for parent/child/link structure, the
// messaging attributes, and the traceparent the subscriber receives.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace'
import t from 'tap'
import { startTelemetry } from '../../src/telemetry/sdk.ts'
import { eventually, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const exporter = new InMemorySpanExporter()
// Before the relay starts: the ingest route adds its span hooks only when tracing is on.
const telemetry = startTelemetry({ serviceName: 'webhook-relay-all', spanProcessors: [new SimpleSpanProcessor({ exporter })] })
t.teardown(() => telemetry.shutdown())

const env = await createCoreTestEnv('traces')
t.teardown(() => env.close())
const relay = await env.start('all')
const sub = await startSubscriber((req, nth) => (req.path === '/flaky' && nth === 1 ? { status: 503 } : {}))
t.teardown(() => sub.close())

let n = 0
async function sourceTo(path: string, transformVersionId?: string) {
  const slug = `traced${++n}`
  const source = (await relay.api('/api/v1/sources', { body: { name: slug, slug } })).body
  const created = await relay.api('/api/v1/subscriptions', {
    body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}${path}` }, ...(transformVersionId ? { transformVersionId } : {}) },
  })
  if (created.status !== 201) throw new Error(JSON.stringify(created.body))
  return slug
}
async function send(slug: string): Promise<string> {
  const res = await fetch(`${relay.url}/in/${slug}`, { method: 'POST', body: '{"repo":"relay"}', headers: { 'content-type': 'application/json' } })
  return ((await res.json()) as { eventId: string }).eventId
}

const spans = () => exporter.getFinishedSpans()
const idOf = (s: ReadableSpan) => s.spanContext().spanId
const traceOf = (s: ReadableSpan) => s.spanContext().traceId
const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId
const one = (pred: (s: ReadableSpan) => boolean, what: string) =>
  eventually(() => {
    const found = spans().filter(pred)
    return found.length === 1 ? found[0] : null
  }, what, 15_000)

t.test('one webhook is one trace: ingest, store, stream, fan-out, transform, deliver, HTTP', async (t) => {
  const transform = await relay.api('/api/v1/transforms', { body: { name: 'shape', code: 'function transform(e) { return { text: "push to " + e.body.repo } }' } })
  const slug = await sourceTo('/ok', transform.body.versionId)
  const eventId = await send(slug)

  const server = await one((s) => s.kind === SpanKind.SERVER && s.attributes['webhook.event_id'] === eventId, 'the ingest server span')
  const traceId = traceOf(server)
  t.equal(server.name, 'POST /in/:slug')
  t.equal(server.parentSpanContext, undefined, 'the ingest span is the root')
  t.match(server.attributes, { 'http.request.method': 'POST', 'http.route': '/in/:slug', 'http.response.status_code': 202, 'webhook.source': slug })

  const insert = await one((s) => s.name === 'INSERT events' && s.links.some((l) => l.context.spanId === idOf(server)), 'the group-commit INSERT span')
  t.equal(insert.kind, SpanKind.CLIENT)
  t.match(insert.attributes, { 'db.system.name': 'postgresql', 'db.operation.name': 'INSERT', 'db.collection.name': 'events' })

  const publish = await one((s) => s.kind === SpanKind.PRODUCER && parentId(s) === idOf(server), 'the events producer span')
  t.match(publish.attributes, { 'messaging.system': 'redis', 'messaging.operation.type': 'send', 'messaging.destination.name': 'relay:v1:events' })
  t.match(publish.attributes['messaging.message.id'], /^\d+-\d+$/, 'the stream entry id')

  const fanout = await one((s) => s.kind === SpanKind.CONSUMER && parentId(s) === idOf(publish), 'the fan-out consumer span')
  t.equal(traceOf(fanout), traceId)
  t.ok(fanout.links.some((l) => l.context.spanId === idOf(publish)), 'the consumer span links to the producer')
  t.match(fanout.attributes, {
    'messaging.system': 'redis',
    'messaging.operation.type': 'process',
    'messaging.destination.name': 'relay:v1:events',
    'messaging.consumer.group.name': 'fanout',
    'messaging.message.id': publish.attributes['messaging.message.id'],
  })

  const publishDelivery = await one((s) => s.kind === SpanKind.PRODUCER && parentId(s) === idOf(fanout), 'the deliveries producer span')
  t.equal(publishDelivery.attributes['messaging.destination.name'], 'relay:v1:deliveries')

  const deliver = await one((s) => s.kind === SpanKind.CONSUMER && parentId(s) === idOf(publishDelivery), 'the deliver span')
  t.equal(deliver.name, 'deliver http-relay')
  t.match(deliver.attributes, {
    'messaging.destination.name': 'relay:v1:deliveries',
    'messaging.consumer.group.name': 'deliver',
    'messaging.message.id': publishDelivery.attributes['messaging.message.id'],
    'webhook.source': slug,
    'webhook.action': 'http-relay',
    'webhook.delivery_id': publishDelivery.attributes['webhook.delivery_id'],
    'webhook.attempt': 1,
    'webhook.outcome': 'ok',
  })

  const transformSpan = await one((s) => s.name === 'transform' && parentId(s) === idOf(deliver), 'the transform span')
  t.equal(transformSpan.attributes['webhook.transform.result'], 'payload')

  const http = await one((s) => s.kind === SpanKind.CLIENT && parentId(s) === idOf(deliver), 'the outgoing HTTP client span')
  t.match(http.attributes, { 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'http.response.status_code': 200 })
  t.notOk(Object.keys(http.attributes).some((k) => k.startsWith('url.full') || k === 'url.path'), 'no URL path in the span (it may hold a secret)')

  for (const s of [publish, fanout, publishDelivery, deliver, transformSpan, http]) t.equal(traceOf(s), traceId, `${s.name} is in the webhook's trace`)

  const got = sub.to('/ok').at(-1)!
  const [, gotTrace, gotParent] = String(got.headers.traceparent).split('-')
  t.equal(gotTrace, traceId, 'the subscriber receives the trace id')
  t.equal(gotParent, idOf(http), 'and can continue under the HTTP client span')
})

t.test('a retried attempt starts a new trace linked to the original', async (t) => {
  const slug = await sourceTo('/flaky')
  const eventId = await send(slug)
  const server = await one((s) => s.kind === SpanKind.SERVER && s.attributes['webhook.event_id'] === eventId, 'the ingest server span')
  const first = await one((s) => s.name === 'deliver http-relay' && s.attributes['webhook.source'] === slug && s.attributes['webhook.attempt'] === 1, 'attempt 1')
  t.equal(traceOf(first), traceOf(server))
  t.equal(first.attributes['webhook.outcome'], 'retry')
  t.equal(first.status.code, SpanStatusCode.ERROR, 'a failed attempt is an error span')

  const second = await one((s) => s.name === 'deliver http-relay' && s.attributes['webhook.source'] === slug && s.attributes['webhook.attempt'] === 2, 'attempt 2')
  t.equal(second.attributes['webhook.outcome'], 'ok')
  t.equal(second.parentSpanContext, undefined, 'the retry entry carries no context: a new root')
  t.not(traceOf(second), traceOf(server))
  const link = second.links.find((l) => l.context.traceId === traceOf(server))
  t.ok(link, 'linked to the original trace')
  t.equal(link?.context.spanId, idOf(server), 'at the ingest span')
  const retried = sub.to('/flaky').at(-1)!
  t.equal(String(retried.headers.traceparent).split('-')[1], traceOf(second), 'the retried request carries the new trace')
})

t.test('log lines written inside a span carry trace_id and span_id', async (t) => {
  const { Writable } = await import('node:stream')
  const { default: pino } = await import('pino')
  const { traceLogMixin } = await import('../../src/telemetry/log-mixin.ts')
  const { tracer, withSpan } = await import('../../src/telemetry/tracer.ts')
  const lines: string[] = []
  const log = pino({ mixin: traceLogMixin }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }))
  const span = tracer.startSpan('logging')
  withSpan(span, () => log.child({ deliveryId: 'd1' }).info('inside'))
  span.end()
  log.info('outside')
  const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  t.equal(inside?.trace_id, span.spanContext().traceId)
  t.equal(inside?.span_id, span.spanContext().spanId)
  t.notOk(outside && 'trace_id' in outside, 'no ids outside a span')
})
