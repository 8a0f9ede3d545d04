/** Sources: list, create, edit (mode, verification, limits, idempotency), enable/disable. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import Type, { type TObject, type TSchema } from 'typebox'
import {
  createSource,
  getSource,
  listSources,
  listSubscriptions,
  MASK,
  openVerification,
  SourceCreate,
  sourceView,
  updateSource,
  VerificationSchema,
  withDb,
  type SourceInput,
  type SourceRow,
  type Verification,
} from '@webhook-relay/core/admin'
import { page, partial } from '../render.ts'
import { describeFields, readForm, validate, type FieldErrors } from '../schema-form.ts'
import { UI_PREFIX } from '../session.ts'
import { field, type RouteOptions } from './context.ts'

const MAX_BODY = 64 * 1024 * 1024
/** The form's own schema: the API's fields, minus null unions a form cannot express. */
const SourceForm = Type.Object({
  name: SourceCreate.properties.name,
  slug: SourceCreate.properties.slug,
  mode: Type.Union([Type.Literal('active'), Type.Literal('record')], { description: 'record stores events without delivering them; replay them later' }),
  enabled: Type.Boolean({ description: 'a disabled source answers 404 to senders' }),
  idempotencyHeader: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'header name (or body:<json path>) whose value dedupes retries from the sender' })),
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BODY, description: 'largest accepted body in bytes; empty uses the relay default' })),
})

/** One schema per verification scheme, keyed by its `type` literal. */
export const VERIFICATION_TYPES: ReadonlyMap<string, TObject> = new Map(
  ((VerificationSchema as unknown as { anyOf: TObject[] }).anyOf).map((v) => [String((v.properties.type as unknown as { const: string }).const), v]),
)

interface FormState {
  values: Record<string, unknown>
  errors: FieldErrors
  vType: string
  vValues: Record<string, unknown>
  vErrors: FieldErrors
  hasStoredSecret: boolean
}

function verificationFields(state: Pick<FormState, 'vType' | 'vValues' | 'vErrors' | 'hasStoredSecret'>) {
  const schema = VERIFICATION_TYPES.get(state.vType)
  if (!schema) return []
  return describeFields(schema as TSchema, { prefix: 'verification', secrets: ['secret'], values: state.vValues, errors: state.vErrors, omit: ['type'], hasStored: state.hasStoredSecret })
}

function formContext(state: FormState, source: SourceRow | null) {
  return {
    source,
    fields: describeFields(SourceForm, { prefix: 'source', secrets: [], values: state.values, errors: state.errors }),
    verificationTypes: [...VERIFICATION_TYPES.keys()],
    vType: state.vType,
    vFields: verificationFields(state),
    formError: state.errors[''],
  }
}

function stateOf(r: SourceRow, s: RouteOptions['services']): FormState {
  const v = openVerification(s.box, r.verification)
  return {
    values: { name: r.name, slug: r.slug, mode: r.mode, enabled: r.enabled, idempotencyHeader: r.idempotency_header ?? undefined, maxBodyBytes: r.max_body_bytes ?? undefined },
    errors: {},
    vType: v?.type ?? '',
    vValues: v ? { ...v, secret: MASK } : {},
    vErrors: {},
    hasStoredSecret: v !== null,
  }
}

/** Reads and validates the submitted form; `input` is set only when everything is valid. */
function readSourceForm(body: unknown, previous: Verification | null): { state: FormState; input: SourceInput | null } {
  const b = body as Record<string, unknown>
  const { values, errors: parseErrors } = readForm(SourceForm, b, 'source')
  values.enabled = values.enabled === true
  const errors = { ...validate(SourceForm, values), ...parseErrors }
  const vType = field(body, 'verification.type') ?? ''
  const schema = VERIFICATION_TYPES.get(vType)
  let vValues: Record<string, unknown> = {}
  let vErrors: FieldErrors = {}
  let verification: Verification | null = null
  if (schema) {
    const read = readForm(schema as TSchema, b, 'verification')
    vValues = { ...read.values, type: vType }
    // The mask means "keep the stored secret" (the form never receives it in clear).
    const keep = vValues.secret === MASK && previous?.type === vType ? previous.secret : undefined
    const candidate = keep === undefined ? vValues : { ...vValues, secret: keep }
    vErrors = { ...validate(schema as TSchema, candidate), ...read.errors }
    if (Object.keys(vErrors).length === 0) verification = candidate as Verification
  }
  const state: FormState = { values, errors, vType, vValues, vErrors, hasStoredSecret: previous !== null }
  if (Object.keys(errors).length || Object.keys(vErrors).length) return { state, input: null }
  return {
    state,
    input: {
      name: String(values.name),
      slug: String(values.slug),
      mode: values.mode as SourceInput['mode'],
      enabled: values.enabled === true,
      verification,
      idempotencyHeader: (values.idempotencyHeader as string | undefined) ?? null,
      maxBodyBytes: (values.maxBodyBytes as number | undefined) ?? null,
    },
  }
}

export async function sourceRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  const showForm = (req: FastifyRequest, reply: FastifyReply, template: string, ctx: Record<string, unknown>, status = 200) =>
    page(req, reply, template, { nav: 'sources', publicUrl: s.publicUrl, ...ctx }, status)

  app.get<{ Querystring: { deleted?: string } }>('/sources', async (req, reply) => {
    const [sources, subs] = await withDb(() => Promise.all([listSources(s.db), listSubscriptions(s.db)]))
    const counts = new Map<string, number>()
    for (const sub of subs) counts.set(sub.source_id, (counts.get(sub.source_id) ?? 0) + 1)
    const items = sources.map((r) => ({ ...sourceView(r, s.publicUrl), subscriptions: counts.get(r.id) ?? 0 }))
    return showForm(req, reply, 'sources.njk', { items, deleted: req.query.deleted?.slice(0, 200) })
  })

  app.get('/sources/new', async (req, reply) => {
    const state: FormState = { values: { mode: 'active', enabled: true }, errors: {}, vType: '', vValues: {}, vErrors: {}, hasStoredSecret: false }
    return showForm(req, reply, 'source-form.njk', formContext(state, null))
  })

  app.get<{ Querystring: Record<string, string> }>('/sources/verification-fields', async (req, reply) => {
    const vType = req.query['verification.type'] ?? ''
    return partial(req, reply, 'partials/fields.njk', { fields: verificationFields({ vType, vValues: {}, vErrors: {}, hasStoredSecret: false }) })
  })

  app.post('/sources', async (req, reply) => {
    const { state, input } = readSourceForm(req.body, null)
    if (!input) return showForm(req, reply, 'source-form.njk', formContext(state, null), 422)
    try {
      const r = await withDb(() => createSource(s.db, s.box, input))
      s.sources.invalidate()
      return reply.redirect(`${UI_PREFIX}/sources/${r.id}?created=1`, 303)
    } catch (err) {
      if ((err as { code?: string }).code !== 'RELAY_ERR_SLUG_TAKEN') throw err
      state.errors.slug = 'is already used by another source'
      return showForm(req, reply, 'source-form.njk', formContext(state, null), 422)
    }
  })

  app.get<{ Params: { id: string }; Querystring: { created?: string; deleted?: string } }>('/sources/:id', async (req, reply) => {
    const r = await withDb(() => getSource(s.db, req.params.id))
    const subs = await withDb(() => listSubscriptions(s.db, r.id))
    return showForm(req, reply, 'source.njk', {
      ...formContext(stateOf(r, s), r),
      view: sourceView(r, s.publicUrl),
      subscriptions: subs.map((x) => ({ ...x, config: s.plugins.maskConfig(x.action, x.config) })),
      created: req.query.created === '1',
      deleted: req.query.deleted === 'subscription',
    })
  })

  app.post<{ Params: { id: string } }>('/sources/:id', async (req, reply) => {
    const cur = await withDb(() => getSource(s.db, req.params.id))
    const { state, input } = readSourceForm(req.body, openVerification(s.box, cur.verification))
    const again = async (status: number) => {
      const subs = await withDb(() => listSubscriptions(s.db, cur.id))
      return showForm(req, reply, 'source.njk', { ...formContext(state, cur), view: sourceView(cur, s.publicUrl), subscriptions: subs }, status)
    }
    if (!input) return again(422)
    try {
      await withDb(() => updateSource(s.db, s.box, cur.id, input))
    } catch (err) {
      if ((err as { code?: string }).code !== 'RELAY_ERR_SLUG_TAKEN') throw err
      state.errors.slug = 'is already used by another source'
      return again(422)
    }
    s.sources.invalidate()
    return reply.redirect(`${UI_PREFIX}/sources/${cur.id}?saved=1`, 303)
  })

  app.post<{ Params: { id: string } }>('/sources/:id/toggle', async (req, reply) => {
    const cur = await withDb(() => getSource(s.db, req.params.id))
    await withDb(() => updateSource(s.db, s.box, cur.id, {
      name: cur.name, slug: cur.slug, mode: cur.mode, enabled: !cur.enabled,
      verification: openVerification(s.box, cur.verification), idempotencyHeader: cur.idempotency_header, maxBodyBytes: cur.max_body_bytes,
    }))
    s.sources.invalidate()
    return reply.redirect(`${UI_PREFIX}/sources/${cur.id}`, 303)
  })
}
