/**
 * S3 errors as ok / retry / fail. The SDK is told not to retry (maxAttempts 1): the
 * relay owns retries, with its schedule, its attempt log and its dead-letter queue.
 *
 * - The store answered 5xx, 429, 408, or an error code S3 documents as transient
 *   (SlowDown, throttling, RequestTimeout, a clock skew the SDK corrects on the next
 *   try): retry.
 * - Any other 4xx (AccessDenied, NoSuchBucket, InvalidAccessKeyId, SignatureDoesNotMatch,
 *   ...): the same request gets the same answer; fail.
 * - No answer (connection refused, timeout, DNS) or the SSRF guard refused the endpoint:
 *   the shared HTTP rules (retry, except refusals, which fail).
 */
import { classifyHttpError, fail, retry, type DeliveryResult, type Exchange } from '@webhook-relay/plugin-sdk'

const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'OperationAborted',
])

interface SdkError {
  name?: unknown
  message?: unknown
  $metadata?: { httpStatusCode?: unknown }
}

export function classifyS3Error(err: unknown, exchange: Exchange | undefined): DeliveryResult {
  const e = (err ?? {}) as SdkError
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : exchange?.response?.status
  if (status === undefined) return classifyHttpError(err, exchange ?? {})
  const code = typeof e.name === 'string' ? e.name : 'Error'
  const message = typeof e.message === 'string' && e.message !== code ? `: ${e.message}` : ''
  const reason = `S3 ${status} ${code}${message}`
  const opts = exchange ? { exchange } : {}
  if (status >= 500 || status === 429 || status === 408 || TRANSIENT_CODES.has(code)) return retry(reason, opts)
  return fail(reason, opts)
}
