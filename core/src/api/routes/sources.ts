/** /api/v1/sources: create, list, get, update, delete. */
import type { FastifyInstance } from 'fastify'
import type { Static } from 'typebox'
import { withDb } from '../../db/pool.ts'
import type { Verification } from '../../ingest/verify/index.ts'
import { MASK } from '../../plugin/host.ts'
import { createSource, deleteSource, getSource, listSources, openVerification, updateSource, type SourceInput } from '../../store/sources.ts'
import { IdParams, SourceCreate, SourceUpdate } from '../schemas.ts'
import type { Services } from '../services.ts'
import { sourceView } from '../views.ts'

const tags = ['sources']

export async function sourceRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const view = (r: Parameters<typeof sourceView>[0]) => sourceView(r, s.publicUrl)

  app.post<{ Body: Static<typeof SourceCreate> }>('/sources', { schema: { tags, body: SourceCreate, summary: 'Create a source' } }, async (req, reply) => {
    const b = req.body
    const input: SourceInput = {
      name: b.name,
      slug: b.slug,
      mode: b.mode ?? 'active',
      enabled: b.enabled ?? true,
      verification: (b.verification ?? null) as Verification | null,
      idempotencyHeader: b.idempotencyHeader ?? null,
      maxBodyBytes: b.maxBodyBytes ?? null,
    }
    const r = await withDb(() => createSource(s.db, s.box, input))
    s.sources.invalidate()
    return reply.code(201).send(view(r))
  })

  app.get('/sources', { schema: { tags, summary: 'List sources' } }, async () => {
    return { items: (await withDb(() => listSources(s.db))).map(view) }
  })

  app.get<{ Params: Static<typeof IdParams> }>('/sources/:id', { schema: { tags, params: IdParams, summary: 'Get a source' } }, async (req) => {
    return view(await withDb(() => getSource(s.db, req.params.id)))
  })

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof SourceUpdate> }>(
    '/sources/:id',
    { schema: { tags, params: IdParams, body: SourceUpdate, summary: 'Update a source (fields left out are kept)' } },
    async (req) => {
      const cur = await withDb(() => getSource(s.db, req.params.id))
      const b = req.body as Partial<Static<typeof SourceCreate>>
      let verification = b.verification === undefined ? openVerification(s.box, cur.verification) : ((b.verification ?? null) as Verification | null)
      // A masked secret sent back by an edit form means "keep the stored one".
      if (verification && verification.secret === MASK) {
        const prev = openVerification(s.box, cur.verification)
        verification = { ...verification, secret: prev?.secret ?? '' } as Verification
      }
      const input: SourceInput = {
        name: b.name ?? cur.name,
        slug: b.slug ?? cur.slug,
        mode: b.mode ?? cur.mode,
        enabled: b.enabled ?? cur.enabled,
        verification,
        idempotencyHeader: b.idempotencyHeader === undefined ? cur.idempotency_header : b.idempotencyHeader,
        maxBodyBytes: b.maxBodyBytes === undefined ? cur.max_body_bytes : b.maxBodyBytes,
      }
      const r = await withDb(() => updateSource(s.db, s.box, req.params.id, input))
      s.sources.invalidate()
      return view(r)
    },
  )

  app.delete<{ Params: Static<typeof IdParams> }>('/sources/:id', { schema: { tags, params: IdParams, summary: 'Delete a source with its subscriptions and events' } }, async (req, reply) => {
    await withDb(() => deleteSource(s.db, req.params.id))
    s.sources.invalidate()
    return reply.code(204).send()
  })
}
