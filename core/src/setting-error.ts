/**
 * A subscription setting (filter, rate limit, circuit breaker) that its own check refused:
 * HTTP 400 with the setting's code and where in it the problem is ("filter.all[1].path:
 * …"), the same words in the API's answer and next to the UI's form field.
 */
export abstract class SettingError extends Error {
  abstract readonly code: string
  readonly statusCode = 400
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`)
  }
}
