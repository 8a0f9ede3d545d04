/**
 * Admin UI sessions, kept in Redis so every api replica sees the same ones and any of
 * them can end one:
 *   - sign-out deletes the record;
 *   - the idle timeout is the record's TTL, pushed forward at most once a minute (so an
 *     ordinary page load costs one GET, not a write);
 *   - the absolute expiry is in the record and in the index's score;
 *   - a change of the admin password or token ends every session opened before it: the
 *     record keeps a fingerprint (HMAC) of the credentials it was opened under, and a
 *     record whose fingerprint is not today's is deleted when it is next presented.
 *
 * The browser holds a random 256-bit id; Redis holds only its SHA-256, so a Redis dump or
 * MONITOR opens no session. Each session has its own CSRF secret (csrf.ts).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { fromRedis } from './store-unavailable.ts'

/** How often a used session pushes its idle deadline forward. */
const SEEN_REFRESH_MS = 60_000

export interface UiSession {
  /** SHA-256 of the session id: the record's key suffix and the index member. */
  readonly hash: string
  readonly createdAt: number
  readonly expiresAt: number
  readonly seenAt: number
  /** base64url; the CSRF tokens of this session's pages are masked copies of it. */
  readonly csrfSecret: string
  /** HMAC of the admin credentials in force when the session was opened. */
  readonly credential: string
  /** Client address and browser at sign-in, shown on the sessions page. */
  readonly address: string
  readonly userAgent: string
}

export interface SessionStoreOptions {
  readonly redis: Redis
  readonly keys: { readonly uiSession: string; readonly uiSessions: string }
  readonly ttlMs: number
  readonly idleMs: number
  /** What may sign in; a change to either ends every session. */
  readonly credentials: { readonly password: string | undefined; readonly token: string }
  /** Keys the credentials' fingerprint, so the record does not reveal them. */
  readonly secret: string
}

export interface SessionStore {
  /** A new session; the id goes into the cookie and is never stored. */
  open(client: { address: string; userAgent: string }, now?: number): Promise<{ id: string; session: UiSession }>
  /** The live session behind an id, or null (unknown, expired, or opened under other credentials). */
  find(id: string, now?: number): Promise<UiSession | null>
  close(hash: string): Promise<void>
  /** Ends every session but `keep` (the caller's own, when it stays signed in). */
  closeAll(keep?: string): Promise<number>
  /** Live sessions, newest first. */
  list(now?: number): Promise<UiSession[]>
}

export const sessionHash = (id: string) => createHash('sha256').update(id).digest('hex')

export function sessionStore(o: SessionStoreOptions): SessionStore {
  const credential = createHmac('sha256', o.secret)
    .update(`webhook-relay ui credentials v1\0${o.credentials.password ?? ''}\0${o.credentials.token}`)
    .digest('base64url')
  const keyOf = (hash: string) => `${o.keys.uiSession}${hash}`
  const ttlOf = (s: UiSession, now: number) => Math.max(1, Math.min(o.idleMs, s.expiresAt - now))
  const write = (s: UiSession, now: number) => o.redis.set(keyOf(s.hash), JSON.stringify(s), 'PX', ttlOf(s, now))

  const parse = (raw: string | null): UiSession | null => {
    if (raw === null) return null
    try {
      const s = JSON.parse(raw) as UiSession
      return typeof s.expiresAt === 'number' && typeof s.csrfSecret === 'string' && typeof s.credential === 'string' ? s : null
    } catch {
      return null
    }
  }

  const store: SessionStore = {
    async open(client, now = Date.now()) {
      const id = randomBytes(32).toString('base64url')
      const session: UiSession = {
        hash: sessionHash(id),
        createdAt: now,
        expiresAt: now + o.ttlMs,
        seenAt: now,
        csrfSecret: randomBytes(32).toString('base64url'),
        credential,
        address: client.address,
        userAgent: client.userAgent.slice(0, 200),
      }
      await fromRedis(async () => {
        await write(session, now)
        await o.redis.multi().zadd(o.keys.uiSessions, session.expiresAt, session.hash).zremrangebyscore(o.keys.uiSessions, '-inf', now).exec()
      })
      return { id, session }
    },

    async find(id, now = Date.now()) {
      const hash = sessionHash(id)
      const s = parse(await fromRedis(() => o.redis.get(keyOf(hash))))
      if (s === null) return null
      if (s.hash !== hash || s.expiresAt <= now || s.credential !== credential) {
        await store.close(hash)
        return null
      }
      if (now - s.seenAt < SEEN_REFRESH_MS) return s
      const seen = { ...s, seenAt: now }
      await fromRedis(() => write(seen, now))
      return seen
    },

    async close(hash) {
      await fromRedis(() => o.redis.multi().del(keyOf(hash)).zrem(o.keys.uiSessions, hash).exec())
    },

    async closeAll(keep) {
      const hashes = (await fromRedis(() => o.redis.zrange(o.keys.uiSessions, '0', '-1'))).filter((h) => h !== keep)
      for (const h of hashes) await store.close(h)
      return hashes.length
    },

    async list(now = Date.now()) {
      const hashes = await fromRedis(() => o.redis.zrangebyscore(o.keys.uiSessions, String(now), '+inf'))
      if (hashes.length === 0) return []
      // One GET per key, pipelined: the keys may live on different cluster slots.
      const pipeline = o.redis.pipeline()
      for (const h of hashes) pipeline.get(keyOf(h))
      const replies = (await fromRedis(() => pipeline.exec())) ?? []
      const live: UiSession[] = []
      for (const [i, [err, raw]] of replies.entries()) {
        const s = err ? null : parse(raw as string | null)
        if (s && s.credential === credential) live.push(s)
        // Idle-expired records leave their index entry behind; drop it here.
        else if (!err) await fromRedis(() => o.redis.zrem(o.keys.uiSessions, hashes[i]!))
      }
      return live.sort((a, b) => b.createdAt - a.createdAt)
    },
  }
  return store
}
