/**
 * The dead-letter filter shared by listing and replay-many, so "what the list shows" and
 * "what replay-many replays" are the same set by construction.
 */
import { sql, type ListSqlToken } from 'slonik'
import Type, { type Static } from 'typebox'

export const REASONS = ['exhausted', 'permanent'] as const

export const FilterFields = {
  sourceId: Type.Optional(Type.String({ format: 'uuid', description: 'Only dead letters of this source.' })),
  subscriptionId: Type.Optional(Type.String({ format: 'uuid', description: 'Only dead letters of this subscription.' })),
  reason: Type.Optional(Type.Union(REASONS.map((r) => Type.Literal(r)), { description: 'exhausted: retries ran out; permanent: the destination refused.' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Dead-lettered at or after this time.' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Dead-lettered before this time.' })),
}
export const Filter = Type.Object(FilterFields)
export type Filter = Static<typeof Filter>

/**
 * WHERE conditions over `dead_letters dl JOIN deliveries d JOIN subscriptions s`. A dead
 * letter exists exactly while its delivery is dead (the core writes and removes both in
 * one transition), and replay and discard check the status themselves.
 */
export function filterConditions(f: Filter): ListSqlToken {
  const conds = [
    sql.fragment`TRUE`,
    f.sourceId ? sql.fragment`s.source_id = ${f.sourceId}` : null,
    f.subscriptionId ? sql.fragment`d.subscription_id = ${f.subscriptionId}` : null,
    f.reason ? sql.fragment`dl.reason = ${f.reason}` : null,
    f.since ? sql.fragment`dl.created_at >= ${f.since}::timestamptz` : null,
    f.until ? sql.fragment`dl.created_at < ${f.until}::timestamptz` : null,
  ].filter((c) => c !== null)
  return sql.join(conds, sql.fragment` AND `)
}

export const FROM_DEAD_LETTERS = sql.fragment`dead_letters dl
  JOIN deliveries d ON d.id = dl.delivery_id
  JOIN subscriptions s ON s.id = d.subscription_id`
