/**
 * Values a page shows once after a redirect: a new subscription's signing secret, with
 * the warnings about its config. A form that creates something answers with a redirect
 * (POST-redirect-GET), so reloading the page that follows cannot create it again; the
 * secret, which is never stored in clear, rides across the redirect in Redis for a few
 * minutes, under the session that made it, and is deleted the first time it is read.
 */
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { fromRedis } from './store-unavailable.ts'

/** Long enough for a redirect on a slow link, short enough that nothing lingers. */
const KEEP_MS = 5 * 60_000

export interface ShownOnce {
  /** Keeps `value` for the session; the token goes into the redirect's URL. */
  keep(sessionHash: string, value: unknown): Promise<string>
  /** The value, once: null when it was read before, expired, or kept by another session. */
  take<T>(sessionHash: string, token: string): Promise<T | null>
}

export function shownOnce(redis: Redis, prefix: string): ShownOnce {
  const keyOf = (sessionHash: string, token: string) => `${prefix}${sessionHash}:${token}`
  return {
    async keep(sessionHash, value) {
      const token = randomBytes(16).toString('base64url')
      await fromRedis(() => redis.set(keyOf(sessionHash, token), JSON.stringify(value), 'PX', KEEP_MS))
      return token
    },
    async take<T>(sessionHash: string, token: string) {
      if (!/^[\w-]{1,64}$/.test(token)) return null
      const raw = await fromRedis(() => redis.getdel(keyOf(sessionHash, token)))
      return raw === null ? null : (JSON.parse(raw) as T)
    },
  }
}
