/** /api/v1/subscriptions: create (signing secret shown once), list, get, update, delete, rotate. */
import type { FastifyInstance } from 'fastify'
import Type, { type Static } from 'typebox'
import { withDb } from '../../db/pool.ts'
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  rotateSigningSecret,
  subscriptionInput,
  type SubscriptionRow,
} from '../../store/subscriptions.ts'
import { getSource } from '../../store/sources.ts'
import { refusedDestinations } from '../../egress/destination-check.ts'
import { checkedFilter } from '../../filter/event-filter.ts'
import { checkedRateLimit } from '../../delivery/rate-limit.ts'
import { checkedCircuitSettings } from '../../delivery/circuit-breaker.ts'
import { circuitsOf } from '../../store/circuits.ts'
import { IdParams, RotateBody, SubscriptionCreate, SubscriptionUpdate } from '../schemas.ts'
import type { Services } from '../services.ts'
import { subscriptionView } from '../views.ts'

const tags = ['subscriptions']
const ListQuery = Type.Object({ sourceId: Type.Optional(Type.String({ format: 'uuid' })) })

export async function subscriptionRoutes(app: FastifyInstance, s: Services): Promise<void> {
  /** The rows as the API shows them, each with its circuit (one query for all). */
  const views = async (rows: readonly SubscriptionRow[]) => {
    const circuits = await withDb(() => circuitsOf(s.db, rows.map((r) => r.id)))
    return rows.map((r) => subscriptionView(r, s.plugins, { defaults: s.config.circuitDefaults, row: circuits.get(r.id) }))
  }
  const view = async (r: SubscriptionRow) => (await views([r]))[0]!

  app.post<{ Body: Static<typeof SubscriptionCreate> }>(
    '/subscriptions',
    { schema: { tags, body: SubscriptionCreate, summary: 'Create a subscription; the response carries its signing secret, shown only this once, and warnings (a config URL that deliveries will be refused to)' } },
    async (req, reply) => {
      const b = req.body
      const config = s.plugins.prepareConfig(b.action, b.config)
      const filter = checkedFilter(b.filter ?? null)
      await withDb(() => getSource(s.db, b.sourceId))
      const { row, signingSecret } = await withDb(() =>
        createSubscription(s.db, s.box, {
          sourceId: b.sourceId,
          action: b.action,
          config,
          enabled: b.enabled ?? true,
          transformVersionId: b.transformVersionId ?? null,
          description: b.description ?? null,
          filter,
          rateLimit: checkedRateLimit(b.rateLimit),
          circuitBreaker: checkedCircuitSettings(b.circuitBreaker),
        }),
      )
      // Saved all the same: the guard's refusal may be what the operator wants until RELAY_EGRESS_ALLOW is set.
      const warnings = await refusedDestinations(b.config, s.config.egressAllow)
      return reply.code(201).send({ ...(await view(row)), signingSecret, warnings })
    },
  )

  app.get<{ Querystring: Static<typeof ListQuery> }>('/subscriptions', { schema: { tags, querystring: ListQuery, summary: 'List subscriptions, optionally of one source' } }, async (req) => {
    return { items: await views(await withDb(() => listSubscriptions(s.db, req.query.sourceId))) }
  })

  app.get<{ Params: Static<typeof IdParams> }>('/subscriptions/:id', { schema: { tags, params: IdParams, summary: 'Get a subscription' } }, async (req) => {
    return view(await withDb(() => getSubscription(s.db, req.params.id)))
  })

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof SubscriptionUpdate> }>(
    '/subscriptions/:id',
    { schema: { tags, params: IdParams, body: SubscriptionUpdate, summary: 'Update a subscription (masked secrets keep their stored value)' } },
    async (req) => {
      const cur = await withDb(() => getSubscription(s.db, req.params.id))
      const b = req.body
      const config = b.config === undefined ? cur.config : s.plugins.prepareConfig(cur.action, b.config, cur.config)
      const r = await s.deliveries.updateSubscription(req.params.id, {
        config,
        enabled: b.enabled ?? cur.enabled,
        transformVersionId: b.transformVersionId === undefined ? cur.transform_version_id : b.transformVersionId,
        description: b.description === undefined ? cur.description : b.description,
        filter: b.filter === undefined ? cur.filter : checkedFilter(b.filter),
        rateLimit: b.rateLimit === undefined ? cur.rate_limit : checkedRateLimit(b.rateLimit),
        circuitBreaker: b.circuitBreaker === undefined ? subscriptionInput(cur).circuitBreaker : checkedCircuitSettings(b.circuitBreaker),
      })
      const warnings = b.config === undefined ? [] : await refusedDestinations(b.config, s.config.egressAllow)
      return { ...(await view(r)), warnings }
    },
  )

  app.delete<{ Params: Static<typeof IdParams> }>('/subscriptions/:id', { schema: { tags, params: IdParams, summary: 'Delete a subscription and its deliveries' } }, async (req, reply) => {
    await withDb(() => deleteSubscription(s.db, req.params.id))
    return reply.code(204).send()
  })

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RotateBody> | undefined }>(
    '/subscriptions/:id/rotate-secret',
    { schema: { tags, params: IdParams, body: Type.Optional(RotateBody), summary: 'Rotate the signing secret; old secrets keep signing for graceSeconds' } },
    async (req) => {
      const { row, signingSecret } = await withDb(() => rotateSigningSecret(s.db, s.box, req.params.id, req.body?.graceSeconds ?? 86400))
      return { ...(await view(row)), signingSecret }
    },
  )
}
