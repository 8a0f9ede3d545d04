/**
 * Every sealed value the store holds, in one place: source verification secrets,
 * subscription config fields a plugin declares secret, and subscription signing
 * secrets. The boot-time key check samples them and `relay reseal` rewrites them.
 */
import { sql } from 'slonik'
import Type from 'typebox'
import type { Queryable } from '../db/pool.ts'
import { row } from '../db/row.ts'
import type { SecretBox } from './secret-box.ts'

/** The JSON columns that may hold sealed strings, anywhere inside them. */
export const SEALED_COLUMNS = [
  { table: 'sources', column: 'verification' },
  { table: 'subscriptions', column: 'config' },
  { table: 'subscriptions', column: 'signing_secrets' },
] as const

/** The sealed strings inside a JSON value, depth first. */
export function sealedStrings(value: unknown, box: SecretBox, out: string[] = []): string[] {
  if (box.isSealed(value)) out.push(value)
  else if (Array.isArray(value)) for (const v of value) sealedStrings(v, box, out)
  else if (value && typeof value === 'object') for (const v of Object.values(value)) sealedStrings(v, box, out)
  return out
}

/** The JSON value with every sealed string passed through `f`. */
export function mapSealed(value: unknown, box: SecretBox, f: (sealed: string) => string): unknown {
  if (box.isSealed(value)) return f(value)
  if (Array.isArray(value)) return value.map((v) => mapSealed(v, box, f))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSealed(v, box, f)]))
  return value
}

const Json = row(Type.Object({ id: Type.String(), value: Type.Unknown() }))

/** Up to `limit` rows of each sealed column (for the boot check), or all of them (`forUpdate`, for reseal). */
export async function readSealedColumns(db: Queryable, o: { limit?: number; forUpdate?: boolean }) {
  const out: { table: string; column: string; id: string; value: unknown }[] = []
  for (const c of SEALED_COLUMNS) {
    const rows = await db.any(sql.type(Json)`
      SELECT id, ${sql.identifier([c.column])} AS value FROM ${sql.identifier([c.table])}
      WHERE ${sql.identifier([c.column])} IS NOT NULL
      ${o.limit ? sql.fragment`LIMIT ${o.limit}` : sql.fragment``} ${o.forUpdate ? sql.fragment`FOR UPDATE` : sql.fragment``}`)
    for (const r of rows) out.push({ ...c, id: r.id, value: r.value })
  }
  return out
}
