/**
 * pagerduty: sends each webhook to PagerDuty's Events API v2 as a trigger (or an
 * acknowledge / resolve, when the eventAction template says so).
 *
 * Retries are safe: the dedup_key defaults to the event id, so PagerDuty folds a retried
 * or replayed trigger into the alert it already has. Answers follow the shared HTTP
 * rules (202 delivered; 429 and 5xx retried; 400 "invalid event" permanent) with
 * PagerDuty's own error list put in the reason.
 */
import { classifyHttpError, classifyHttpResponse, defineAction, fail, type DeliveryResult, type HttpResponse } from '@webhook-relay/plugin-sdk'
import { DEFAULT_TIMEOUT_MS, PAGERDUTY_EVENTS_URL, PagerDutyConfig } from './config.ts'
import { buildEvent, EventBuildError, type PagerDutyEvent } from './event.ts'
import { templateContext } from './template.ts'

export const USER_AGENT = 'WebhookRelay/1.0'
const MASK = '********'

/** PagerDuty's error body: `{"status":"invalid event","message":"Event object is invalid","errors":[...]}`. */
function pagerDutyError(res: HttpResponse): string | undefined {
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { message?: unknown; errors?: unknown }
    const message = typeof body.message === 'string' ? body.message : undefined
    const errors = Array.isArray(body.errors) ? body.errors.filter((e): e is string => typeof e === 'string') : []
    if (!message && errors.length === 0) return undefined
    return [message, ...errors].filter(Boolean).join('; ')
  } catch {
    return undefined
  }
}

function withPagerDutyReason(result: DeliveryResult, res: HttpResponse): DeliveryResult {
  if (result.outcome === 'ok') return result
  const detail = pagerDutyError(res)
  return detail ? { ...result, reason: `${result.reason}: ${detail}` } : result
}

export default defineAction({
  apiVersion: 1,
  name: 'pagerduty',
  version: '1.0.0',
  title: 'PagerDuty incident',
  description: 'Triggers (or acknowledges / resolves) a PagerDuty alert through the Events API v2.',
  config: PagerDutyConfig,
  secrets: ['routingKey'],

  async deliver(input, ctx) {
    const { config, signal } = input
    let event: PagerDutyEvent
    try {
      event = buildEvent(config, templateContext(input))
    } catch (err) {
      if (err instanceof EventBuildError) return fail(err.message)
      throw err
    }
    const url = config.url ?? PAGERDUTY_EVENTS_URL
    const headers = { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...ctx.traceHeaders() }
    const body = Buffer.from(JSON.stringify(event))
    // The routing key is a secret: the recorded copy of the request has it masked.
    const request = { url, method: 'POST', headers, body: Buffer.from(JSON.stringify({ ...event, routing_key: MASK })) }
    try {
      const res = await ctx.http.request({ url, method: 'POST', headers, body, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal })
      return withPagerDutyReason(classifyHttpResponse(res, { request, response: res }), res)
    } catch (err) {
      return classifyHttpError(err, { request })
    }
  },
})
