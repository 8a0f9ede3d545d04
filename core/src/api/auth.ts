/** Bearer-token auth for /api/v1, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { Errors } from '../errors.ts'

export function bearerAuth(token: string) {
  // Hashing both sides gives equal-length buffers, so length leaks nothing either.
  const expected = createHash('sha256').update(token).digest()
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization ?? ''
    const m = /^Bearer\s+(.+)$/i.exec(header)
    const given = createHash('sha256').update(m?.[1] ?? '').digest()
    if (!m || !timingSafeEqual(given, expected)) throw new Errors.UNAUTHORIZED()
  }
}
