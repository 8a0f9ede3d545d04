/**
 * Redis holds the admin UI's sessions and its failed sign-in counts. When it does not
 * answer, the UI cannot tell a live session from a revoked one, nor a guesser from an
 * admin, so it refuses (503) instead of trusting the cookie or skipping the limit.
 */
export class UiStoreUnavailable extends Error {
  readonly statusCode = 503

  constructor(cause: unknown) {
    super('The admin UI is unavailable: Redis, which holds its sessions, is not answering. Try again when it is back.', { cause })
    this.name = 'UiStoreUnavailable'
  }
}

/** Runs a Redis call, turning any failure into UiStoreUnavailable. */
export async function fromRedis<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw new UiStoreUnavailable(err)
  }
}
