/**
 * The admin UI's session cookie: the password (RELAY_ADMIN_PASSWORD) or the admin token
 * opens a server-side session (session-store.ts) whose random id the browser keeps in a
 * signed, httpOnly cookie scoped to /ui. The signature (RELAY_SESSION_SECRET, or a key
 * derived from the admin token) turns a forged or mangled cookie away before Redis is
 * asked; what makes a session valid is its record in Redis.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { SessionStore, UiSession } from './session-store.ts'

export const SESSION_COOKIE = 'relay_ui_session'
export const UI_PREFIX = '/ui'

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session, set by the UI's onRequest hook; null without one. */
    uiSession: UiSession | null
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest()

/** Compares against each accepted secret in constant time (hashing equalizes lengths). */
export function secretMatches(given: string, accepted: readonly (string | undefined)[]): boolean {
  const g = digest(given)
  let ok = false
  for (const a of accepted) if (a !== undefined && timingSafeEqual(g, digest(a))) ok = true
  return ok
}

/** Secure when the browser reached us over TLS, directly or through a proxy that says so. */
export function isTls(req: FastifyRequest): boolean {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim().toLowerCase()
  return req.protocol === 'https' || forwarded === 'https'
}

export function cookieOptions(req: FastifyRequest) {
  return { path: UI_PREFIX, httpOnly: true, sameSite: 'lax' as const, secure: isTls(req), signed: true }
}

/** The session id from a valid signed cookie, or undefined. */
function sessionIdOf(req: FastifyRequest): string | undefined {
  const raw = req.cookies[SESSION_COOKIE]
  if (!raw) return undefined
  const u = req.unsignCookie(raw)
  return u.valid && u.value ? u.value : undefined
}

/** The live session the request presents (throws UiStoreUnavailable when Redis is down). */
export async function sessionOf(req: FastifyRequest, sessions: SessionStore): Promise<UiSession | null> {
  const id = sessionIdOf(req)
  return id === undefined ? null : sessions.find(id)
}

/** Opens a fresh session (never reusing an id the browser brought: no fixation). */
export async function startSession(req: FastifyRequest, reply: FastifyReply, sessions: SessionStore): Promise<UiSession> {
  const previous = req.uiSession
  const { id, session } = await sessions.open({ address: req.ip, userAgent: String(req.headers['user-agent'] ?? '') })
  if (previous) await sessions.close(previous.hash)
  // The cookie may outlive a revoked session; Redis decides when it stops working.
  reply.setCookie(SESSION_COOKIE, id, { ...cookieOptions(req), expires: new Date(session.expiresAt) })
  req.uiSession = session
  return session
}

export async function endSession(req: FastifyRequest, reply: FastifyReply, sessions: SessionStore): Promise<void> {
  if (req.uiSession) await sessions.close(req.uiSession.hash)
  req.uiSession = null
  reply.clearCookie(SESSION_COOKIE, { path: UI_PREFIX })
}
