/**
 * Subscriptions: the action is picked from the installed plugins and its config form is
 * drawn from the plugin's schema; errors come back next to the field. Creating and
 * rotating answer with a redirect (a reload cannot create another subscription); the
 * signing secret crosses it in shown-once.ts and is shown on the page after it, once.
 * A config URL that deliveries will be refused to (the SSRF guard) is warned about.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TSchema } from 'typebox'
import {
  circuitsOf,
  circuitView,
  createSubscription,
  describeRateLimit,
  effectiveCircuit,
  effectiveRateLimit,
  getSource,
  getSubscription,
  getTransformVersion,
  listTransforms,
  MASK,
  refusedDestinations,
  rotateSigningSecret,
  subscriptionInput,
  withDb,
  type SubscriptionRow,
} from '@webhook-relay/core/admin'
import { controlTexts, readControls } from '../delivery-controls.ts'
import { pausedDeliveries, throttledDeliveries } from '../queries.ts'
import { page, partial } from '../render.ts'
import { describeFields, readForm, validate, type FieldErrors } from '../schema-form.ts'
import { UI_PREFIX } from '../session.ts'
import { shownOnce } from '../shown-once.ts'
import { subscriptionHealth } from '../traffic.ts'
import { sampleTestBody } from './test-event.ts'
import { field, uuidParam, type RouteOptions } from './context.ts'

const DESCRIPTION_MAX = 1000
/** Old secrets keep signing this long after a rotation, so receivers can switch over. */
export const ROTATION_GRACE_SECONDS = 24 * 3600

type Services = RouteOptions['services']

/** The limit the subscription runs under, in words, and where it comes from ("" when none). */
function rateLimitShown(s: Services, sub: SubscriptionRow): { text: string; from: string } | null {
  const l = effectiveRateLimit(sub.rate_limit, s.plugins.defaultRateLimit(sub.action))
  return l && { text: describeRateLimit(l), from: l.from === 'subscription' ? 'its own setting' : `the ${sub.action} action's default` }
}

function configFields(s: Services, action: string, values: Record<string, unknown>, errors: FieldErrors, hasStored: boolean) {
  const plugin = s.plugins.get(action)
  if (!plugin) return []
  return describeFields(plugin.config as TSchema, { prefix: 'config', secrets: plugin.secrets ?? [], values, errors, hasStored })
}

/**
 * Reads the config form and validates it against the plugin schema. A masked secret on
 * an edit means "keep the stored value" and is not validated as text; the core's
 * prepareConfig swaps the stored value back in and seals new secrets.
 */
function readConfig(s: Services, action: string, body: unknown, previous?: Record<string, unknown>) {
  const plugin = s.plugins.require(action)
  const { values, errors: parseErrors } = readForm(plugin.config as TSchema, body as Record<string, unknown>, 'config')
  const kept = (plugin.secrets ?? []).filter((k) => values[k] === MASK && previous && previous[k] !== undefined)
  const errors: FieldErrors = { ...validate(plugin.config as TSchema, values), ...parseErrors }
  // The stored value was valid when saved; prepareConfig re-checks the real value below.
  for (const k of kept) delete errors[k]
  if (errors[''] === 'the configuration is not valid' && Object.keys(errors).length > 1) delete errors['']
  if (Object.keys(errors).length) return { values, errors, config: null }
  try {
    return { values, errors, config: s.plugins.prepareConfig(action, values, previous) }
  } catch (err) {
    return { values, errors: { '': (err as Error).message }, config: null }
  }
}

/** What the page after a create or rotate shows, once. */
interface SecretShown {
  readonly signingSecret: string
  readonly warnings: readonly string[]
  readonly created: boolean
}

export async function subscriptionRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  const once = shownOnce(s.redis, s.keys.uiShownOnce)
  const showSecret = async (req: FastifyRequest, reply: FastifyReply, subscriptionId: string, shown: SecretShown) => {
    const token = await once.keep(req.uiSession!.hash, shown)
    return reply.redirect(`${UI_PREFIX}/subscriptions/${subscriptionId}/secret?once=${token}`, 303)
  }
  const actions = () => s.plugins.list().map((p) => ({ name: p.name, title: p.title }))
  /** Latest version of each script, plus the version a subscription pins if it is older. */
  const transforms = async (pinned?: string | null) => {
    const latest = await withDb(() => listTransforms(s.db))
    if (!pinned || latest.some((t) => t.id === pinned)) return latest
    return [...latest, await withDb(() => getTransformVersion(s.db, pinned))]
  }

  const newForm = async (req: FastifyRequest, reply: FastifyReply, sourceId: string, ctx: Record<string, unknown>, status = 200) => {
    const source = await withDb(() => getSource(s.db, sourceId))
    return page(req, reply, 'subscription-new.njk', { nav: 'sources', source, actions: actions(), transforms: await transforms(), circuitDefaults: s.config.circuitDefaults, ...ctx }, status)
  }

  app.get<{ Params: { id: string }; Querystring: { action?: string } }>('/sources/:id/subscriptions/new', async (req, reply) => {
    const action = s.plugins.get(req.query.action ?? '') ? req.query.action! : (actions()[0]?.name ?? '')
    return newForm(req, reply, req.params.id, { action, fields: configFields(s, action, {}, {}, false), enabled: true })
  })

  app.get<{ Querystring: { action?: string } }>('/subscriptions/config-fields', async (req, reply) => {
    return partial(req, reply, 'partials/fields.njk', { fields: configFields(s, req.query.action ?? '', {}, {}, false) })
  })

  app.post<{ Params: { id: string } }>('/sources/:id/subscriptions', async (req, reply) => {
    const source = await withDb(() => getSource(s.db, req.params.id))
    const action = field(req.body, 'action') ?? ''
    const description = field(req.body, 'description')?.trim().slice(0, DESCRIPTION_MAX) || null
    const transformVersionId = uuidParam(field(req.body, 'transformVersionId')) ?? null
    const enabled = field(req.body, 'enabled') === 'on'
    if (!s.plugins.get(action)) {
      return newForm(req, reply, source.id, { action, fields: [], formError: `Choose an installed action (got "${action}")`, description, enabled }, 422)
    }
    const { values, errors, config } = readConfig(s, action, req.body)
    const controls = readControls(req.body)
    if (!config || controls.error !== undefined) {
      const formError = config ? controls.error : errors['']
      return newForm(req, reply, source.id, { action, fields: configFields(s, action, values, errors, false), formError, description, enabled, transformVersionId, controls: controls.texts }, 422)
    }
    const { row, signingSecret } = await withDb(() => createSubscription(s.db, s.box, { sourceId: source.id, action, config, enabled, transformVersionId, description, filter: controls.filter, rateLimit: controls.rateLimit, circuitBreaker: controls.circuitBreaker }))
    return showSecret(req, reply, row.id, { signingSecret, warnings: await refusedDestinations(values, s.config.egressAllow), created: true })
  })

  app.get<{ Params: { id: string }; Querystring: { once?: string } }>('/subscriptions/:id/secret', async (req, reply) => {
    const sub = await withDb(() => getSubscription(s.db, req.params.id))
    const source = await withDb(() => getSource(s.db, sub.source_id))
    const shown = await once.take<SecretShown>(req.uiSession!.hash, req.query.once ?? '')
    reply.header('cache-control', 'no-store')
    return page(req, reply, 'subscription-secret.njk', { nav: 'sources', source, subscription: sub, ...shown, gone: shown === null, graceHours: ROTATION_GRACE_SECONDS / 3600 })
  })

  const editPage = async (req: FastifyRequest, reply: FastifyReply, sub: SubscriptionRow, ctx: Record<string, unknown> = {}, status = 200) => {
    const source = await withDb(() => getSource(s.db, sub.source_id))
    const masked = s.plugins.maskConfig(sub.action, sub.config)
    return page(req, reply, 'subscription.njk', {
      warnings: await refusedDestinations(masked, s.config.egressAllow),
      testBody: sampleTestBody(sub.id),
      nav: 'sources',
      source,
      subscription: sub,
      plugin: s.plugins.get(sub.action),
      fields: configFields(s, sub.action, masked, {}, true),
      transforms: await transforms(sub.transform_version_id),
      pausedCount: await withDb(() => pausedDeliveries(s.db, sub.id)),
      health: await withDb(() => subscriptionHealth(s, sub, source.name)),
      controls: controlTexts(sub),
      rateLimit: rateLimitShown(s, sub),
      throttledCount: await withDb(() => throttledDeliveries(s.db, sub.id)),
      circuit: circuitView((await withDb(() => circuitsOf(s.db, [sub.id]))).get(sub.id)),
      circuitDefaults: s.config.circuitDefaults,
      circuitSettings: effectiveCircuit(subscriptionInput(sub).circuitBreaker, s.config.circuitDefaults),
      ...ctx,
    }, status)
  }

  app.get<{ Params: { id: string }; Querystring: { saved?: string } }>('/subscriptions/:id', async (req, reply) => {
    const sub = await withDb(() => getSubscription(s.db, req.params.id))
    return editPage(req, reply, sub, { saved: req.query.saved === '1' })
  })

  app.post<{ Params: { id: string } }>('/subscriptions/:id', async (req, reply) => {
    const cur = await withDb(() => getSubscription(s.db, req.params.id))
    const { values, errors, config } = readConfig(s, cur.action, req.body, cur.config)
    const description = field(req.body, 'description')?.trim().slice(0, DESCRIPTION_MAX) || null
    const transformVersionId = uuidParam(field(req.body, 'transformVersionId')) ?? null
    const enabled = field(req.body, 'enabled') === 'on'
    const controls = readControls(req.body, cur)
    if (!config || controls.error !== undefined) {
      const formError = config ? controls.error : errors['']
      return editPage(req, reply, { ...cur, description, transform_version_id: transformVersionId, enabled }, { fields: configFields(s, cur.action, values, errors, true), formError, controls: controls.texts }, 422)
    }
    await s.deliveries.updateSubscription(cur.id, { config, enabled, transformVersionId, description, filter: controls.filter, rateLimit: controls.rateLimit, circuitBreaker: controls.circuitBreaker })
    return reply.redirect(`${UI_PREFIX}/subscriptions/${cur.id}?saved=1`, 303)
  })

  app.post<{ Params: { id: string } }>('/subscriptions/:id/toggle', async (req, reply) => {
    const cur = await withDb(() => getSubscription(s.db, req.params.id))
    await s.deliveries.updateSubscription(cur.id, { ...subscriptionInput(cur), enabled: !cur.enabled })
    return reply.redirect(`${UI_PREFIX}/subscriptions/${cur.id}`, 303)
  })

  app.post<{ Params: { id: string } }>('/subscriptions/:id/rotate', async (req, reply) => {
    const { row, signingSecret } = await withDb(() => rotateSigningSecret(s.db, s.box, req.params.id, ROTATION_GRACE_SECONDS))
    return showSecret(req, reply, row.id, { signingSecret, warnings: [], created: false })
  })
}
