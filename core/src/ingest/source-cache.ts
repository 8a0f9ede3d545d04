/**
 * Sources by slug for the ingest path, cached for a short time so a burst of webhooks
 * costs one lookup, not one per request. Edits reach ingest within TTL_MS; the API
 * process that made the edit invalidates its own cache at once.
 */
import type { Db } from '../db/pool.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import { findSourceBySlug, openVerification } from '../store/sources.ts'
import { TtlCache } from '../util/ttl-cache.ts'
import type { Verification } from './verify/index.ts'

export const TTL_MS = 1_000

export interface IngestSource {
  readonly id: string
  readonly slug: string
  readonly mode: 'active' | 'record'
  readonly enabled: boolean
  readonly verification: Verification | null
  readonly idempotencyHeader: string | null
  readonly maxBodyBytes: number | null
}

export class SourceCache {
  readonly #db: Db
  readonly #box: SecretBox
  readonly #cache = new TtlCache<string, IngestSource | null>({ ttlMs: TTL_MS })

  constructor(db: Db, box: SecretBox) {
    this.#db = db
    this.#box = box
  }

  /** The cached answer without waiting, when there is a fresh one (the ingest fast path). */
  peek(slug: string): { source: IngestSource | null } | undefined {
    const hit = this.#cache.peek(slug)
    return hit && { source: hit.value }
  }

  get(slug: string): Promise<IngestSource | null> {
    return this.#cache.get(slug, (s) => this.#load(s))
  }

  invalidate(): void {
    this.#cache.invalidate()
  }

  async #load(slug: string): Promise<IngestSource | null> {
    const r = await findSourceBySlug(this.#db, slug)
    if (!r) return null
    return {
      id: r.id,
      slug: r.slug,
      mode: r.mode,
      enabled: r.enabled,
      verification: openVerification(this.#box, r.verification),
      idempotencyHeader: r.idempotency_header,
      maxBodyBytes: r.max_body_bytes,
    }
  }
}
