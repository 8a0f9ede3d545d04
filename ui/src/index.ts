/**
 * The admin UI as a Fastify plugin, mounted by the relay under /ui for the api and all
 * roles. Encapsulated on purpose: its cookie, form-body, CSRF and error handling apply
 * to /ui only and never change how /api/v1 or the ingest routes behave.
 *
 *   every request: security headers (strict CSP), then the session check against Redis
 *     (session-store.ts) — without a session a page redirects to /ui/login (htmx gets
 *     HX-Redirect), a form gets 401; with Redis down every page is a 503 (fails closed)
 *   unsafe methods: the CSRF token (form field _csrf or header x-csrf-token) is checked
 *     against the session's own secret (csrf.ts); a missing or wrong token is a 403
 *   /ui/static/*: htmx, Monaco and our own CSS/JS, the only paths open without a session
 *     (public files that carry no data; the sign-in page needs the stylesheet)
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import fastifyStatic from '@fastify/static'
import { HTMX_DIR, MONACO_VS_DIR, OWN_STATIC_DIR } from './assets.ts'
import type { RelayExtension } from '@webhook-relay/core'
import type { Services } from '@webhook-relay/core/admin'
import { SECURITY_HEADERS } from './csp.ts'
import { page } from './render.ts'
import { checkCsrf } from './csrf.ts'
import { sessionOf, UI_PREFIX } from './session.ts'
import { sessionStore } from './session-store.ts'
import { signInLimiter } from './sign-in-limit.ts'
import { UiStoreUnavailable } from './store-unavailable.ts'
import { authRoutes, signInPage } from './routes/auth.ts'
import { overviewRoutes } from './routes/overview.ts'
import { sourceRoutes } from './routes/sources.ts'
import { deletionRoutes } from './routes/deletions.ts'
import { testEventRoutes } from './routes/test-event.ts'
import { eventRoutes } from './routes/events.ts'
import { subscriptionRoutes } from './routes/subscriptions.ts'
import { transformRoutes } from './routes/transforms.ts'
import { deliveryRoutes } from './routes/deliveries.ts'
import { deadLetterRoutes } from './routes/dead-letters.ts'
import { pluginRoutes } from './routes/plugins.ts'
import { uuidParam } from './routes/context.ts'

export { UI_PREFIX } from './session.ts'
export { CONTENT_SECURITY_POLICY } from './csp.ts'

export interface UiOptions {
  services: Services
}

const OPEN_PATHS = new Set([`${UI_PREFIX}/login`])
const isStatic = (url: string) => url.startsWith(`${UI_PREFIX}/static/`)
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** Form posts are small; scripts are the largest thing a form carries (256 KiB + fields). */
const FORM_BODY_LIMIT = 512 * 1024

function signInRedirect(req: FastifyRequest, reply: FastifyReply) {
  const next = encodeURIComponent(req.url)
  const to = `${UI_PREFIX}/login${req.method === 'GET' && req.url !== UI_PREFIX && req.url !== `${UI_PREFIX}/` ? `?next=${next}` : ''}`
  if (req.headers['hx-request']) return reply.code(401).header('hx-redirect', to).send('')
  if (req.method === 'GET' || req.method === 'HEAD') return reply.redirect(to, 303)
  return reply.code(401).type('text/plain').send('Sign in first: your session has expired or is missing.')
}

async function uiPlugin(app: FastifyInstance, opts: UiOptions): Promise<void> {
  const s = opts.services
  await app.register(cookie, { secret: s.config.sessionSecret })
  await app.register(formbody, { bodyLimit: FORM_BODY_LIMIT })
  const sessions = sessionStore({
    redis: s.redis,
    keys: s.keys,
    ttlMs: s.config.uiSession.ttlMs,
    idleMs: s.config.uiSession.idleMs,
    credentials: { password: s.config.adminPassword, token: s.config.adminToken },
    secret: s.config.sessionSecret,
  })
  const limiter = signInLimiter(s.redis, s.keys.signInLimit, s.config.uiSignInLimit)
  app.decorateRequest('uiSession', null)

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!
    reply.headers(SECURITY_HEADERS)
    if (isStatic(path)) {
      // Hashed or versioned files from node_modules: caching them is safe.
      reply.header('cache-control', 'public, max-age=3600')
      return
    }
    req.uiSession = await sessionOf(req, sessions)
    if (!OPEN_PATHS.has(path) && !req.uiSession) return signInRedirect(req, reply)
  })
  app.addHook('preHandler', async (req, reply) => {
    // Every :id in the UI is a UUID; anything else would reach SQL as a type error.
    const id = (req.params as { id?: string } | undefined)?.id
    if (id !== undefined && !uuidParam(id)) return page(req, reply, 'error.njk', { status: 404, message: `No such item: ${id}` }, 404)
    if (UNSAFE.has(req.method)) checkCsrf(req, csrfTokenOf(req))
  })

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.validation ? 400 : (err.statusCode ?? 500)
    const unavailable = err instanceof UiStoreUnavailable
    if (unavailable) req.log.warn({ err: err.cause, url: req.url }, 'ui refused: Redis is not answering')
    else if (status >= 500) req.log.error({ err, url: req.url }, 'ui request failed')
    const message = status >= 500 && !unavailable ? 'Something went wrong on the server; the relay log has the details.' : err.message
    if (req.headers['hx-request']) return reply.code(status).type('text/html; charset=utf-8').send(`<div class="flash error" role="alert">${escape(message)}</div>`)
    // Someone without a session is answered on the sign-in card, not on a page with the
    // signed-in navigation.
    if (!req.uiSession) return signInPage(req, reply, s, { next: `${UI_PREFIX}/`, error: message }, status)
    return page(req, reply, 'error.njk', { status, message }, status)
  })
  app.setNotFoundHandler((req, reply) => page(req, reply, 'error.njk', { status: 404, message: `Nothing at ${req.url.split('?')[0]}` }, 404))

  await app.register(fastifyStatic, { root: OWN_STATIC_DIR, prefix: '/static/app/', decorateReply: false, index: false })
  await app.register(fastifyStatic, { root: HTMX_DIR, prefix: '/static/htmx/', decorateReply: false, index: false })
  await app.register(fastifyStatic, { root: MONACO_VS_DIR, prefix: '/static/monaco/vs/', decorateReply: false, index: false })

  for (const routes of [authRoutes, overviewRoutes, sourceRoutes, eventRoutes, subscriptionRoutes, transformRoutes, deliveryRoutes, deadLetterRoutes, pluginRoutes, deletionRoutes, testEventRoutes]) {
    await app.register(routes, { services: s, sessions, signInLimiter: limiter })
  }
}

/** The form field _csrf, or the header htmx requests carry. */
function csrfTokenOf(req: FastifyRequest): string | undefined {
  const body = req.body as Record<string, unknown> | undefined
  if (typeof body?._csrf === 'string') return body._csrf
  const header = req.headers['x-csrf-token']
  return typeof header === 'string' ? header : undefined
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export default uiPlugin

/** The UI as the relay mounts it: the app's composition lists it (app/src/composition.ts). */
export const uiExtension: RelayExtension = {
  name: 'Admin UI',
  prefix: UI_PREFIX,
  hint: (config) => `sign in with the admin token${config.adminPassword ? ' or RELAY_ADMIN_PASSWORD' : ''}`,
  register: uiPlugin,
}
