/**
 * /api/v1/transforms: versioned transform scripts. Editing creates a new version; a
 * subscription points at one version (transformVersionId). `test` runs a script in the
 * same sandbox the worker uses, against a stored event or a pasted payload.
 */
import { shownHeaders } from '../../secrets/credential-headers.ts'
import type { FastifyInstance } from 'fastify'
import Type, { type Static } from 'typebox'
import { withDb } from '../../db/pool.ts'
import type { EventView } from '../../plugin/contract.ts'
import { getEvent, toEventView } from '../../store/events.ts'
import { newId } from '../../store/ids.ts'
import { addTransformVersion, createTransform, getTransformVersion, listTransforms, listTransformVersions, type TransformVersionRow } from '../../store/transforms.ts'
import { eventViewFromPayload } from '../../transform/index.ts'
import { MAX_SCRIPT_BYTES } from '../../transform/types.ts'
import { IdParams } from '../schemas.ts'
import type { Services } from '../services.ts'
import { bodyView } from '../views.ts'

const tags = ['transforms']
const Code = Type.String({ minLength: 1, maxLength: MAX_SCRIPT_BYTES, description: 'JavaScript defining function transform(event)' })
const CreateBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), code: Code }, { additionalProperties: false })
const VersionBody = Type.Object({ code: Code }, { additionalProperties: false })
const TestBody = Type.Object(
  {
    code: Code,
    eventId: Type.Optional(Type.String({ format: 'uuid', description: 'run against this stored event' })),
    payload: Type.Optional(
      Type.Object({
        body: Type.Unknown({ description: 'a JSON value, or a string for a non-JSON body' }),
        headers: Type.Optional(Type.Record(Type.String(), Type.String())),
        contentType: Type.Optional(Type.String()),
        source: Type.Optional(Type.String()),
      }),
    ),
  },
  { additionalProperties: false },
)

const versionView = (v: TransformVersionRow) => ({
  id: v.transform_id,
  name: v.name,
  versionId: v.id,
  version: v.version,
  code: v.code,
  sha256: v.sha256,
  createdAt: new Date(v.created_at).toISOString(),
})

export async function transformRoutes(app: FastifyInstance, s: Services): Promise<void> {
  app.post<{ Body: Static<typeof CreateBody> }>('/transforms', { schema: { tags, body: CreateBody, summary: 'Create a transform (version 1)' } }, async (req, reply) => {
    return reply.code(201).send(versionView(await withDb(() => createTransform(s.db, req.body.name, req.body.code))))
  })
  app.get('/transforms', { schema: { tags, summary: 'List transforms with their latest version' } }, async () => ({
    items: (await withDb(() => listTransforms(s.db))).map(versionView),
  }))
  app.get<{ Params: Static<typeof IdParams> }>('/transforms/:id/versions', { schema: { tags, params: IdParams, summary: 'All versions, newest first' } }, async (req) => ({
    items: (await withDb(() => listTransformVersions(s.db, req.params.id))).map(versionView),
  }))
  app.get<{ Params: Static<typeof IdParams> }>('/transform-versions/:id', { schema: { tags, params: IdParams, summary: 'One version by its versionId' } }, async (req) =>
    versionView(await withDb(() => getTransformVersion(s.db, req.params.id))),
  )
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof VersionBody> }>(
    '/transforms/:id/versions',
    { schema: { tags, params: IdParams, body: VersionBody, summary: 'Save an edit as the next version' } },
    async (req, reply) => reply.code(201).send(versionView(await withDb(() => addTransformVersion(s.db, req.params.id, req.body.code)))),
  )
  app.post<{ Body: Static<typeof TestBody> }>('/transforms/test', { schema: { tags, body: TestBody, summary: 'Run a script against a stored event or a pasted payload' } }, async (req) => {
    let event: EventView
    if (req.body.eventId) {
      const e = await withDb(() => getEvent(s.db, req.body.eventId!))
      event = toEventView({ ...e, headers: shownHeaders(e.headers, s.config.eventCredentialHeaders) })
    } else {
      const p = req.body.payload ?? { body: {} }
      const isText = typeof p.body === 'string'
      event = eventViewFromPayload({
        id: newId(),
        body: isText ? (p.body as string) : JSON.stringify(p.body ?? null),
        headers: p.headers,
        contentType: p.contentType ?? (isText ? 'text/plain' : 'application/json'),
        source: p.source,
      })
    }
    const out = await s.transforms().run(req.body.code, event)
    return {
      kind: out.kind,
      durationMs: out.durationMs,
      logs: out.logs,
      output:
        out.kind === 'payload'
          ? { ...bodyView(out.payload.body), contentType: out.payload.contentType, headers: out.payload.headers, url: out.payload.url ?? null }
          : null,
      error: out.kind === 'error' ? out.error : null,
    }
  })
}
