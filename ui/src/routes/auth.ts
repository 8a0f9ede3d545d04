/** Sign-in, sign-out, and the list of open sessions. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Services } from '@webhook-relay/core/admin'
import { dropPreSessionSecret } from '../csrf.ts'
import { page } from '../render.ts'
import { endSession, secretMatches, startSession, UI_PREFIX } from '../session.ts'
import { SignInLimited } from '../sign-in-limit.ts'
import { field, type RouteOptions } from './context.ts'

/** The sign-in card, with what went wrong if anything did (a wrong secret, too many attempts). */
export function signInPage(req: FastifyRequest, reply: FastifyReply, s: Services, view: { next: string; error?: string }, status = 200) {
  return page(req, reply, 'login.njk', { ...view, passwordSet: s.config.adminPassword !== undefined }, status)
}

/** Only a path inside the UI: an open redirect after sign-in would be a phishing aid. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith(`${UI_PREFIX}/`) && !next.startsWith('//') && !next.includes('\\') ? next : `${UI_PREFIX}/`
}

export async function authRoutes(app: FastifyInstance, { services: s, sessions, signInLimiter }: RouteOptions): Promise<void> {
  app.get<{ Querystring: { next?: string } }>('/login', async (req, reply) => {
    if (req.uiSession) return reply.redirect(safeNext(req.query.next), 303)
    return signInPage(req, reply, s, { next: safeNext(req.query.next) })
  })

  app.post('/login', async (req, reply) => {
    const secret = field(req.body, 'secret') ?? ''
    const next = safeNext(field(req.body, 'next'))
    try {
      // Checked before the secret is judged: over the limit, the right secret is refused too.
      await signInLimiter.check(req.ip)
    } catch (err) {
      if (!(err instanceof SignInLimited)) throw err
      reply.header('retry-after', String(err.retryAfterSec))
      return signInPage(req, reply, s, { next, error: err.message }, 429)
    }
    if (!secretMatches(secret, [s.config.adminPassword, s.config.adminToken])) {
      await signInLimiter.failed(req.ip)
      req.log.warn({ ip: req.ip }, 'ui sign-in refused')
      return signInPage(req, reply, s, { next, error: 'That password or token is not correct.' }, 401)
    }
    await startSession(req, reply, sessions)
    dropPreSessionSecret(reply)
    return reply.redirect(next, 303)
  })

  app.post('/logout', async (req, reply) => {
    await endSession(req, reply, sessions)
    return reply.redirect(`${UI_PREFIX}/login`, 303)
  })

  app.get('/sessions', async (req, reply) => {
    const list = await sessions.list()
    return page(req, reply, 'sessions.njk', { nav: 'sessions', sessions: list, current: req.uiSession?.hash, ttlMs: s.config.uiSession.ttlMs, idleMs: s.config.uiSession.idleMs })
  })

  // Ends one session (its hash comes from the list) or every other one.
  app.post('/sessions/end', async (req, reply) => {
    const which = field(req.body, 'session')
    if (which === req.uiSession!.hash) {
      await endSession(req, reply, sessions)
      return reply.redirect(`${UI_PREFIX}/login`, 303)
    }
    if (which === 'others') await sessions.closeAll(req.uiSession!.hash)
    else if (which && /^[0-9a-f]{64}$/.test(which)) await sessions.close(which)
    return reply.redirect(`${UI_PREFIX}/sessions`, 303)
  })
}
