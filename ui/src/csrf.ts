/**
 * CSRF tokens bound to the session. A signed-in page's token is derived from its
 * session's own secret (kept in Redis with the session), so a token read from one
 * session is refused in any other, and signing out or revoking the session voids every
 * token it rendered. Before sign-in the only form is the sign-in card; its secret is a
 * signed pre-session cookie, replaced by the session's own at sign-in.
 *
 * A token is `mask || (mask XOR secret)` with a fresh random mask per page, so no two
 * pages carry the same bytes (compression side channels such as BREACH learn nothing),
 * and checking it is an unmask and a constant-time compare.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { cookieOptions, UI_PREFIX } from './session.ts'

export const PRE_SESSION_CSRF_COOKIE = 'relay_ui_csrf'
const SECRET_BYTES = 32

export class CsrfRefused extends Error {
  readonly statusCode = 403
  readonly code = 'UI_CSRF_REFUSED'

  constructor() {
    super('This form has expired or did not come from this page (CSRF check failed). Reload the page and try again.')
  }
}

const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]!))

function preSessionSecret(req: FastifyRequest): Buffer | undefined {
  const raw = req.cookies[PRE_SESSION_CSRF_COOKIE]
  if (!raw) return undefined
  const u = req.unsignCookie(raw)
  const secret = u.valid && u.value ? Buffer.from(u.value, 'base64url') : undefined
  return secret?.length === SECRET_BYTES ? secret : undefined
}

/** The secret the request's tokens must be made from: its session's, or before sign-in the cookie's. */
function secretOf(req: FastifyRequest): Buffer | undefined {
  return req.uiSession ? Buffer.from(req.uiSession.csrfSecret, 'base64url') : preSessionSecret(req)
}

/** A token for the page being rendered (starting the pre-session secret when there is none). */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  let secret = secretOf(req)
  if (secret === undefined) {
    secret = randomBytes(SECRET_BYTES)
    reply.setCookie(PRE_SESSION_CSRF_COOKIE, secret.toString('base64url'), cookieOptions(req))
  }
  const mask = randomBytes(SECRET_BYTES)
  return Buffer.concat([mask, xor(mask, secret)]).toString('base64url')
}

/** Throws CsrfRefused unless `token` was made from the request's secret. */
export function checkCsrf(req: FastifyRequest, token: string | undefined): void {
  const secret = secretOf(req)
  const raw = token === undefined ? undefined : Buffer.from(token, 'base64url')
  if (secret === undefined || raw?.length !== 2 * SECRET_BYTES) throw new CsrfRefused()
  if (!timingSafeEqual(xor(raw.subarray(0, SECRET_BYTES), raw.subarray(SECRET_BYTES)), secret)) throw new CsrfRefused()
}

/** The pre-session secret has served its one form once a session exists. */
export function dropPreSessionSecret(reply: FastifyReply): void {
  reply.clearCookie(PRE_SESSION_CSRF_COOKIE, { path: UI_PREFIX })
}
