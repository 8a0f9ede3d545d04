/** The dead-letter queue's error codes; the relay's error handler turns them into JSON answers. A retired code is never reused. */
class DlqError extends Error {
  readonly code: string
  readonly statusCode: number
  constructor(code: string, statusCode: number, message: string) {
    super(message)
    this.code = code
    this.statusCode = statusCode
  }
}

export const deadLetterNotFound = (id: string): DlqError =>
  new DlqError('RELAY_ERR_DEAD_LETTER_NOT_FOUND', 404, `No dead letter for delivery ${id} (never dead, or already replayed or discarded)`)

export const badCursor = (): DlqError => new DlqError('RELAY_ERR_INVALID_REQUEST', 400, 'before: not a cursor this API returned as nextBefore')
