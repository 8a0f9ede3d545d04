/** Sign-in and sign-out. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Services } from '../core.ts'
import { page } from '../render.ts'
import { endSession, hasSession, secretMatches, startSession, UI_PREFIX } from '../session.ts'
import { field, type RouteOptions } from './context.ts'

const SIGN_IN_WINDOW_MS = 5 * 60_000

/** The sign-in card, with what went wrong if anything did (a wrong secret, too many attempts). */
export function signInPage(req: FastifyRequest, reply: FastifyReply, s: Services, view: { next: string; error?: string }, status = 200) {
  return page(req, reply, 'login.njk', { ...view, passwordSet: s.config.adminPassword !== undefined }, status)
}

/** Only a path inside the UI: an open redirect after sign-in would be a phishing aid. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith(`${UI_PREFIX}/`) && !next.startsWith('//') && !next.includes('\\') ? next : `${UI_PREFIX}/`
}

export async function authRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  app.get<{ Querystring: { next?: string } }>('/login', async (req, reply) => {
    if (hasSession(req)) return reply.redirect(safeNext(req.query.next), 303)
    return signInPage(req, reply, s, { next: safeNext(req.query.next) })
  })

  // Guessing the password or token costs at most RELAY_UI_SIGN_IN_LIMIT tries per address
  // per window. Over it: 429 with Retry-After, shown on the sign-in card by the UI's
  // error handler (the limiter answers before this handler runs).
  const signInLimit = {
    max: s.config.uiSignInLimit,
    timeWindow: SIGN_IN_WINDOW_MS,
    errorResponseBuilder: (_req: unknown, ctx: { after: string; statusCode: number }) => ({
      statusCode: ctx.statusCode,
      error: 'Too Many Requests',
      message: `Too many sign-in attempts from your address. Try again in ${ctx.after}.`,
    }),
  }

  app.post('/login', { config: { rateLimit: signInLimit } }, async (req, reply) => {
    const secret = field(req.body, 'secret') ?? ''
    const next = safeNext(field(req.body, 'next'))
    if (!secretMatches(secret, [s.config.adminPassword, s.config.adminToken])) {
      req.log.warn({ ip: req.ip }, 'ui sign-in refused')
      return signInPage(req, reply, s, { next, error: 'That password or token is not correct.' }, 401)
    }
    startSession(req, reply)
    return reply.redirect(next, 303)
  })

  app.post('/logout', async (req, reply) => {
    endSession(req, reply)
    return reply.redirect(`${UI_PREFIX}/login`, 303)
  })
}
