/**
 * How Mattermost's answers map to ok / retry / fail: the shared HTTP rules from the
 * relay (2xx ok; 429 and 5xx retried, honouring Retry-After; other 4xx fail), refined
 * with the error Mattermost puts in its JSON body.
 *
 * - `web.incoming_webhook.invalid.app_error` (400): the webhook was deleted or the URL
 *   is wrong. Every later delivery gets the same answer, so the subscription is disabled.
 * - `web.incoming_webhook.disabled.app_error` (501): an admin turned incoming webhooks
 *   off. A 5xx is normally retried, but this one only changes when a person acts, so the
 *   delivery is dead-lettered now and can be replayed once webhooks are back on.
 */
import { classifyHttpResponse, fail, type DeliveryResult, type Exchange, type HttpResponse } from '@webhook-relay/plugin-sdk'

export const INVALID_WEBHOOK = 'web.incoming_webhook.invalid.app_error'
export const WEBHOOKS_DISABLED = 'web.incoming_webhook.disabled.app_error'

export interface MattermostError {
  readonly id: string
  readonly message: string
}

/** Mattermost's AppError body (`{"id":"…","message":"…","status_code":400,…}`), when the answer is one. */
export function mattermostError(body: Buffer): MattermostError | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'))
    if (typeof parsed !== 'object' || parsed === null) return undefined
    const { id, message } = parsed as Record<string, unknown>
    return typeof id === 'string' ? { id, message: typeof message === 'string' ? message : '' } : undefined
  } catch {
    return undefined
  }
}

export function classifyMattermostResponse(res: HttpResponse, exchange: Exchange): DeliveryResult {
  const result = classifyHttpResponse(res, exchange)
  if (result.outcome === 'ok') return result
  const error = mattermostError(res.body)
  if (!error) return result
  const reason = `${result.reason}: mattermost said ${error.id}${error.message ? ` (${error.message})` : ''}`
  if (error.id === INVALID_WEBHOOK) return fail(reason, { disableSubscription: true, exchange })
  if (error.id === WEBHOOKS_DISABLED) return fail(reason, { exchange })
  return { ...result, reason }
}
