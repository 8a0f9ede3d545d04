/**
 * Admin sign-in: the password (RELAY_ADMIN_PASSWORD) or the admin token opens a session
 * held in a signed, httpOnly cookie scoped to /ui. The cookie carries only its expiry;
 * the signature (RELAY_SESSION_SECRET, or a key derived from the admin token) is what
 * makes it valid, so every api replica accepts it and rotating the secret signs
 * everyone out.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

export const SESSION_COOKIE = 'relay_ui_session'
export const CSRF_COOKIE = 'relay_ui_csrf'
export const SESSION_TTL_MS = 12 * 3600 * 1000
export const UI_PREFIX = '/ui'

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

export function startSession(req: FastifyRequest, reply: FastifyReply, now = Date.now()): void {
  reply.setCookie(SESSION_COOKIE, JSON.stringify({ exp: now + SESSION_TTL_MS }), { ...cookieOptions(req), maxAge: SESSION_TTL_MS / 1000 })
}

export function endSession(req: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: UI_PREFIX })
  reply.clearCookie(CSRF_COOKIE, { path: UI_PREFIX })
}

export function hasSession(req: FastifyRequest, now = Date.now()): boolean {
  const raw = req.cookies[SESSION_COOKIE]
  if (!raw) return false
  const u = req.unsignCookie(raw)
  if (!u.valid || u.value === null) return false
  try {
    const { exp } = JSON.parse(u.value) as { exp?: unknown }
    return typeof exp === 'number' && exp > now
  } catch {
    return false
  }
}
