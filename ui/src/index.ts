/**
 * The admin UI as a Fastify plugin, mounted by the relay under /ui for the api and all
 * roles. Encapsulated on purpose: its cookie, form-body, CSRF and error handling apply
 * to /ui only and never change how /api/v1 or the ingest routes behave.
 *
 *   every request: security headers (strict CSP), then the session check — without a
 *     session a page redirects to /ui/login (htmx gets HX-Redirect), a form gets 401
 *   unsafe methods: the CSRF token (form field _csrf or header x-csrf-token) is checked
 *     against the signed secret cookie; a missing or wrong token is a 403
 *   /ui/static/*: htmx, Monaco and our own CSS/JS, the only paths open without a session
 *     (public files that carry no data; the sign-in page needs the stylesheet)
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import rateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import { HTMX_DIR, MONACO_VS_DIR, OWN_STATIC_DIR } from './assets.ts'
import type { Services } from './core.ts'
import { SECURITY_HEADERS } from './csp.ts'
import { page } from './render.ts'
import { CSRF_COOKIE, hasSession, UI_PREFIX } from './session.ts'
import { authRoutes, signInPage } from './routes/auth.ts'
import { overviewRoutes } from './routes/overview.ts'
import { sourceRoutes } from './routes/sources.ts'
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
  // Only routes that ask for it (sign-in). Counted in Redis so every api replica shares
  // one count per client address; if Redis is down, sign-in is not blocked by the limiter.
  await app.register(rateLimit, { global: false, redis: s.redis, nameSpace: s.keys.signInLimit, skipOnError: true })
  await app.register(csrf, {
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: UI_PREFIX, httpOnly: true, sameSite: 'lax', signed: true },
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined
      const field = typeof body?._csrf === 'string' ? body._csrf : undefined
      return field ?? (req.headers['x-csrf-token'] as string | undefined)
    },
  })

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!
    reply.headers(SECURITY_HEADERS)
    if (isStatic(path)) {
      // Hashed or versioned files from node_modules: caching them is safe.
      reply.header('cache-control', 'public, max-age=3600')
      return
    }
    if (!OPEN_PATHS.has(path) && !hasSession(req)) return signInRedirect(req, reply)
  })
  app.addHook('preHandler', (req, reply, done) => {
    // Every :id in the UI is a UUID; anything else would reach SQL as a type error.
    const id = (req.params as { id?: string } | undefined)?.id
    if (id !== undefined && !uuidParam(id)) return void page(req, reply, 'error.njk', { status: 404, message: `No such item: ${id}` }, 404)
    if (!UNSAFE.has(req.method)) return done()
    app.csrfProtection(req, reply, done)
  })

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.validation ? 400 : (err.statusCode ?? 500)
    if (status >= 500) req.log.error({ err, url: req.url }, 'ui request failed')
    const csrfFailure = err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET'
    const message = csrfFailure
      ? 'This form has expired or did not come from this page (CSRF check failed). Reload the page and try again.'
      : status >= 500
        ? 'Something went wrong on the server; the relay log has the details.'
        : err.message
    if (req.headers['hx-request']) return reply.code(status).type('text/html; charset=utf-8').send(`<div class="flash error" role="alert">${escape(message)}</div>`)
    // The sign-in limit speaks to someone without a session: answer on the sign-in card,
    // not on a page with the signed-in navigation.
    if (status === 429 && req.url.split('?')[0] === `${UI_PREFIX}/login`) {
      return signInPage(req, reply, s, { next: `${UI_PREFIX}/`, error: message }, 429)
    }
    return page(req, reply, 'error.njk', { status, message }, status)
  })
  app.setNotFoundHandler((req, reply) => page(req, reply, 'error.njk', { status: 404, message: `Nothing at ${req.url.split('?')[0]}` }, 404))

  await app.register(fastifyStatic, { root: OWN_STATIC_DIR, prefix: '/static/app/', decorateReply: false, index: false })
  await app.register(fastifyStatic, { root: HTMX_DIR, prefix: '/static/htmx/', decorateReply: false, index: false })
  await app.register(fastifyStatic, { root: MONACO_VS_DIR, prefix: '/static/monaco/vs/', decorateReply: false, index: false })

  for (const routes of [authRoutes, overviewRoutes, sourceRoutes, eventRoutes, subscriptionRoutes, transformRoutes, deliveryRoutes, deadLetterRoutes, pluginRoutes]) {
    await app.register(routes, { services: s })
  }
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export default uiPlugin
