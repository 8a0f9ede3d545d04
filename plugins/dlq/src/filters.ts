/**
 * The dead-letter filter of the list and of replay-many, as request schemas: the same
 * fields select "what the list shows" and "what replay-many replays" (the core's
 * DeliveryStateService applies them with one WHERE clause for both).
 */
import Type from 'typebox'

export const REASONS = ['exhausted', 'permanent'] as const

export const FilterFields = {
  sourceId: Type.Optional(Type.String({ format: 'uuid', description: 'Only dead letters of this source.' })),
  subscriptionId: Type.Optional(Type.String({ format: 'uuid', description: 'Only dead letters of this subscription.' })),
  reason: Type.Optional(Type.Union(REASONS.map((r) => Type.Literal(r)), { description: 'exhausted: retries ran out; permanent: the destination refused.' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Dead-lettered at or after this time.' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Dead-lettered before this time.' })),
}
