/** The dead-letter queue's error codes; the relay answers them in its JSON error shape. A retired code is never reused. */
import { RouteError } from '@webhook-relay/plugin-sdk'

export const deadLetterNotFound = (id: string): RouteError =>
  new RouteError(404, 'RELAY_ERR_DEAD_LETTER_NOT_FOUND', `No dead letter for delivery ${id} (never dead, or already replayed or discarded)`)

export const badCursor = (): RouteError => new RouteError(400, 'RELAY_ERR_INVALID_REQUEST', 'before: not a cursor this API returned as nextBefore')
