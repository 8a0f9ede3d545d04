/**
 * Sources by slug for the ingest path: every source in memory, so a request for any slug,
 * known or not, is answered without a query of its own. Unauthenticated input must cost
 * the same whatever it is: a flood of random slugs costs nothing but map lookups.
 *
 * The snapshot is checked at most once per TTL_MS (one small query: the count of sources
 * and the sum of their updated_at, which any edit changes, even one that commits after a
 * later-started one) and reloaded whole only when that changed. Edits reach ingest within TTL_MS;
 * the API process that made the edit invalidates its own snapshot at once. A slug that
 * could never have been created (SLUG_PATTERN) is unknown without even a lookup.
 */
import { sql } from 'slonik'
import Type from 'typebox'
import type { Db } from '../db/pool.ts'
import { row } from '../db/row.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import { listSources, openVerification, type SourceRow } from '../store/sources.ts'
import type { Verification } from './verify/index.ts'

export const TTL_MS = 1_000
/** The slug rule of the API (api/schemas.ts): anything else is unknown at once. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,99}$/

export interface IngestSource {
  readonly id: string
  readonly slug: string
  readonly mode: 'active' | 'record'
  readonly enabled: boolean
  readonly verification: Verification | null
  readonly idempotencyHeader: string | null
  readonly maxBodyBytes: number | null
  /** Set when its verification secret cannot be opened: that source answers 503, the others work. */
  readonly unavailable?: string
}

const Generation = row(Type.Object({ n: Type.Integer(), latest: Type.Union([Type.Null(), Type.Number()]) }))

export class SourceCache {
  readonly #db: Db
  readonly #box: SecretBox
  #bySlug: ReadonlyMap<string, IngestSource> | null = null
  #generation = ''
  #checkedAt = 0
  #refreshing: Promise<void> | null = null

  constructor(db: Db, box: SecretBox) {
    this.#db = db
    this.#box = box
  }

  /** The answer without waiting, when the snapshot is fresh (the ingest fast path). */
  peek(slug: string): { source: IngestSource | null } | undefined {
    if (!SLUG_PATTERN.test(slug)) return { source: null }
    if (!this.#bySlug || Date.now() - this.#checkedAt > TTL_MS) return undefined
    return { source: this.#bySlug.get(slug) ?? null }
  }

  async get(slug: string): Promise<IngestSource | null> {
    if (!SLUG_PATTERN.test(slug)) return null
    if (!this.#bySlug || Date.now() - this.#checkedAt > TTL_MS) await (this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = null)))
    return this.#bySlug!.get(slug) ?? null
  }

  /** Known slug? Only known sources may name a metric series (callers of the label). */
  known(slug: string): boolean {
    return this.#bySlug?.has(slug) ?? false
  }

  invalidate(): void {
    this.#checkedAt = 0
    this.#generation = ''
  }

  async #refresh(): Promise<void> {
    const g = await this.#db.one(sql.type(Generation)`
      SELECT count(*)::int AS n, sum(extract(epoch FROM updated_at))::float8 AS latest FROM sources`)
    const generation = `${g.n}:${g.latest}`
    if (generation !== this.#generation || !this.#bySlug) {
      const rows = await listSources(this.#db)
      // The system source's events are the relay's own: nobody may post one.
      this.#bySlug = new Map(rows.filter((r) => !r.system).map((r) => [r.slug, this.#open(r)]))
      this.#generation = generation
    }
    this.#checkedAt = Date.now()
  }

  #open(r: SourceRow): IngestSource {
    const base = { id: r.id, slug: r.slug, mode: r.mode, enabled: r.enabled, idempotencyHeader: r.idempotency_header, maxBodyBytes: r.max_body_bytes }
    try {
      return { ...base, verification: openVerification(this.#box, r.verification) }
    } catch (err) {
      return { ...base, verification: null, unavailable: (err as Error).message }
    }
  }
}
