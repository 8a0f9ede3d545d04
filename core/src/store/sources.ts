/** Data access for sources. Verification secrets are sealed at rest. */
import { deleteDeliveriesWhere, lockDeliveriesWhere } from './delivery-rows.ts'
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import { isUniqueViolation, type Queryable } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import type { Verification } from '../ingest/verify/index.ts'
import { newId } from './ids.ts'

export const SourceRow = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  mode: Type.Union([Type.Literal('active'), Type.Literal('record')]),
  enabled: Type.Boolean(),
  verification: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())]),
  idempotency_header: Type.Union([Type.Null(), Type.String()]),
  max_body_bytes: Type.Union([Type.Null(), Type.Integer()]),
  /** The relay's own events (system-events.ts): subscriptions may use it, ingest refuses it. */
  system: Type.Boolean(),
  created_at: Type.Number(),
  updated_at: Type.Number(),
})
export type SourceRow = Static<typeof SourceRow>
const SOURCE = row(SourceRow)
const COLUMNS = sql.fragment`id, name, slug, mode, enabled, verification, idempotency_header, max_body_bytes, system, created_at, updated_at`

export interface SourceInput {
  name: string
  slug: string
  mode: 'active' | 'record'
  enabled: boolean
  verification: Verification | null
  idempotencyHeader: string | null
  maxBodyBytes: number | null
}

export function sealVerification(box: SecretBox, v: Verification | null): Record<string, unknown> | null {
  return v ? { ...v, secret: box.seal(v.secret) } : null
}
export function openVerification(box: SecretBox, stored: Record<string, unknown> | null): Verification | null {
  if (!stored) return null
  return { ...stored, secret: box.open(String(stored.secret)) } as Verification
}

export async function createSource(db: Queryable, box: SecretBox, input: SourceInput): Promise<SourceRow> {
  try {
    return await db.one(sql.type(SOURCE)`
      INSERT INTO sources (id, name, slug, mode, enabled, verification, idempotency_header, max_body_bytes)
      VALUES (${newId()}, ${input.name}, ${input.slug}, ${input.mode}, ${input.enabled},
              ${jsonbOrNull(sealVerification(box, input.verification))}, ${input.idempotencyHeader}, ${input.maxBodyBytes})
      RETURNING ${COLUMNS}`)
  } catch (err) {
    if (isUniqueViolation(err)) throw new Errors.SLUG_TAKEN(input.slug)
    throw err
  }
}

export async function updateSource(db: Queryable, box: SecretBox, id: string, input: SourceInput): Promise<SourceRow> {
  try {
    const r = await db.maybeOne(sql.type(SOURCE)`
      UPDATE sources SET name = ${input.name}, slug = ${input.slug}, mode = ${input.mode}, enabled = ${input.enabled},
        verification = ${jsonbOrNull(sealVerification(box, input.verification))},
        idempotency_header = ${input.idempotencyHeader}, max_body_bytes = ${input.maxBodyBytes}, updated_at = now()
      WHERE id = ${id} RETURNING ${COLUMNS}`)
    if (!r) throw new Errors.SOURCE_NOT_FOUND(id)
    return r
  } catch (err) {
    if (isUniqueViolation(err)) throw new Errors.SLUG_TAKEN(input.slug)
    throw err
  }
}

export async function getSource(db: Queryable, id: string): Promise<SourceRow> {
  const r = await db.maybeOne(sql.type(SOURCE)`SELECT ${COLUMNS} FROM sources WHERE id = ${id}`)
  if (!r) throw new Errors.SOURCE_NOT_FOUND(id)
  return r
}

export async function findSourceBySlug(db: Queryable, slug: string): Promise<SourceRow | null> {
  return db.maybeOne(sql.type(SOURCE)`SELECT ${COLUMNS} FROM sources WHERE slug = ${slug}`)
}

export async function listSources(db: Queryable): Promise<readonly SourceRow[]> {
  return db.any(sql.type(SOURCE)`SELECT ${COLUMNS} FROM sources ORDER BY created_at`)
}

/** Deletes a source with its events, subscriptions and their deliveries (cascades), attempts and dead letters (here: sql/0015). */
export async function deleteSource(db: Queryable, id: string): Promise<void> {
  const ofSource = sql.fragment`subscription_id IN (SELECT s.id FROM subscriptions s WHERE s.source_id = ${id})`
  const r = await db.transaction(async (tx) => {
    await lockDeliveriesWhere(tx, ofSource)
    return tx.query(sql.unsafe`
      WITH ${deleteDeliveriesWhere(ofSource)},
        keys AS (DELETE FROM event_idempotency WHERE source_id = ${id})
      DELETE FROM sources WHERE id = ${id}`)
  })
  if (r.rowCount === 0) throw new Errors.SOURCE_NOT_FOUND(id)
}

export function jsonbOrNull(v: Record<string, unknown> | null) {
  return v === null ? null : sql.jsonb(v as never)
}
