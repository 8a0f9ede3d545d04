/**
 * POST /in/:slug — any content type, raw bytes kept. Answers 202 {eventId} only after
 * the event is committed and its stream entry written; 200 with the original id for a
 * duplicate idempotency key; 404 unknown slug; 401 bad signature (event not stored);
 * 413 over the source's size limit; 503 when Postgres or Redis is down.
 */
import { Transform, type Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Errors } from '../errors.ts'
import type { Metrics } from '../metrics/metrics.ts'
import { newId } from '../store/ids.ts'
import { ATTR } from '../telemetry/attributes.ts'
import { traceIngestRequests } from '../telemetry/ingest-spans.ts'
import { idempotencyKey } from './idempotency.ts'
import type { Ingestor } from './ingestor.ts'
import type { IngestSource, SourceCache } from './source-cache.ts'
import { verifySignature } from './verify/index.ts'

/** The largest body any source may configure; a per-source limit applies below it. */
export const HARD_BODY_LIMIT = 64 * 1024 * 1024
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer'])

declare module 'fastify' {
  interface FastifyRequest {
    relaySource?: IngestSource
    /** The Content-Type exactly as sent (the header Fastify sees is neutral: see onRequest). */
    relayContentType?: string
  }
}

/** What Fastify's body parsing sees instead of the sender's Content-Type. */
const NEUTRAL_CONTENT_TYPE = 'application/octet-stream'

export interface IngestRouteDeps {
  sources: SourceCache
  ingestor: Ingestor
  metrics: Metrics
  defaultMaxBodyBytes: number
}

export async function ingestRoutes(app: FastifyInstance, deps: IngestRouteDeps): Promise<void> {
  const { sources, ingestor, metrics } = deps
  traceIngestRequests(app)
  // Ingest keeps bytes as they came: no JSON parsing, whatever the content type.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, (_req, body, done) => done(null, body))

  const limitOf = (s: IngestSource) => s.maxBodyBytes ?? deps.defaultMaxBodyBytes

  app.post<{ Params: { slug: string } }>('/in/:slug', {
    bodyLimit: HARD_BODY_LIMIT,
    schema: { hide: true },
    // Any Content-Type is accepted and kept as sent, even one Fastify's parser calls
    // malformed (it would answer 415 and the webhook would be lost): the body is read as
    // bytes under a neutral type, and the original is put back on the stored headers.
    onRequest: (request, _reply, done) => {
      const sent = request.headers['content-type']
      if (sent !== undefined) {
        request.relayContentType = sent
        request.headers['content-type'] = NEUTRAL_CONTENT_TYPE
      }
      done()
    },
    // Look the source up before reading the body: a 404 or 413 costs no upload.
    // Callback style, so a cached source costs no promise on the hot path.
    preParsing: (request: FastifyRequest<{ Params: { slug: string } }>, _reply, payload: Readable, done: (err: Error | null, payload?: Readable) => void) => {
      const slug = request.params.slug
      const admit = (source: IngestSource | null) => {
        if (!source) {
          metrics.webhooksReceived.inc({ source: '_unknown', outcome: 'not_found' })
          return done(new Errors.SOURCE_NOT_FOUND(slug))
        }
        if (!source.enabled) {
          metrics.webhooksReceived.inc({ source: slug, outcome: 'disabled' })
          return done(new Errors.SOURCE_DISABLED(slug))
        }
        if (source.unavailable) {
          // Its stored secret cannot be opened (a key problem the operator must fix): the
          // sender retries later; every other source goes on working.
          request.log.error({ source: slug, err: source.unavailable }, 'source cannot verify signatures')
          metrics.webhooksReceived.inc({ source: slug, outcome: 'unavailable' })
          return done(new Errors.STORE_UNAVAILABLE('secrets'))
        }
        request.relaySource = source
        const limit = limitOf(source)
        const declared = request.headers['content-length']
        if (declared !== undefined) {
          // With a declared length Node reads exactly that many bytes: checking it is enough.
          if (Number(declared) <= limit) return done(null, payload)
          metrics.webhooksReceived.inc({ source: slug, outcome: 'too_large' })
          return done(new Errors.PAYLOAD_TOO_LARGE(declared, limit))
        }
        done(null, payload.pipe(byteLimit(limit, () => metrics.webhooksReceived.inc({ source: slug, outcome: 'too_large' }))))
      }
      const cached = sources.peek(slug)
      if (cached) return admit(cached.source)
      sources.get(slug).then(admit, () => {
        // Only known sources name a series: an unknown slug cannot add one.
        metrics.webhooksReceived.inc({ source: sources.known(slug) ? slug : '_unknown', outcome: 'unavailable' })
        done(new Errors.STORE_UNAVAILABLE('postgres'))
      })
    },
  }, async (request, reply) => {
    const started = process.hrtime.bigint()
    const source = request.relaySource!
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    const headers = flattenHeaders(request.headers)
    if (request.relayContentType !== undefined) headers['content-type'] = request.relayContentType
    else delete headers['content-type']
    const contentType = headers['content-type'] ?? null
    const span = request.relaySpan
    span?.setAttribute(ATTR.source, source.slug)

    if (source.verification) {
      const check = verifySignature(source.verification, request.headers, body)
      if (!check.ok) {
        metrics.webhooksReceived.inc({ source: source.slug, outcome: 'rejected_signature' })
        throw new Errors.SIGNATURE_INVALID(check.reason)
      }
    }

    const key = idempotencyKey(source, headers, body, contentType)
    let result
    try {
      result = await ingestor.ingest({
        id: newId(),
        sourceId: source.id,
        receivedAt: Date.now(),
        contentType,
        headers,
        body,
        idempotencyKey: key?.key ?? null,
        idempotencyWindowSec: key?.windowSec ?? null,
        fanoutStatus: source.mode === 'active' ? 'pending' : 'recorded',
        span,
      })
    } catch (err) {
      metrics.webhooksReceived.inc({ source: source.slug, outcome: 'unavailable' })
      throw err
    }
    metrics.webhooksReceived.inc({ source: source.slug, outcome: result.duplicate ? 'duplicate' : 'accepted' })
    metrics.ingestDuration.observe({ source: source.slug }, Number(process.hrtime.bigint() - started) / 1e9)
    span?.setAttribute(ATTR.eventId, result.id)
    if (result.duplicate) return reply.code(200).send({ eventId: result.id, duplicate: true })
    return reply.code(202).send({ eventId: result.id })
  })
}

function flattenHeaders(h: FastifyRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue
    out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

/** Fails the upload as soon as it passes `limit` bytes (chunked bodies declare no length). */
function byteLimit(limit: number, onExceeded: () => void): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length
      if (seen > limit) {
        onExceeded()
        cb(new Errors.PAYLOAD_TOO_LARGE(seen, limit))
      } else cb(null, chunk)
    },
  })
}
