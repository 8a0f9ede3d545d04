/**
 * opsgenie: sends each webhook to Opsgenie's Alert API v2 as a new alert (or an
 * acknowledge / close of one, when the action template says so).
 *
 * Retries are safe: the alias defaults to the event id, so Opsgenie folds a retried or
 * replayed create into the open alert it already has (raising its count). Opsgenie takes
 * requests asynchronously: 202 means accepted, and is delivered. Other answers follow the
 * shared HTTP rules (429 and 5xx retried with Retry-After; 401, 403, 422 permanent) with
 * Opsgenie's own message and field errors put in the reason.
 */
import { classifyHttpError, classifyHttpResponse, defineAction, fail, type DeliveryResult, type Headers, type HttpResponse } from '@webhook-relay/plugin-sdk'
import { DEFAULT_REGION, DEFAULT_TIMEOUT_MS, OPSGENIE_API_URLS, OpsgenieConfig } from './config.ts'
import { AlertBuildError, buildAlertRequest, type AlertRequest } from './alert.ts'
import { templateContext } from './template.ts'

export const USER_AGENT = 'WebhookRelay/1.0'
const MASK = '********'

/** The API origin: baseUrl when set (tests, proxies), otherwise the region's host. */
export function apiOrigin(config: Pick<OpsgenieConfig, 'baseUrl' | 'region'>): string {
  return (config.baseUrl ?? OPSGENIE_API_URLS[config.region ?? DEFAULT_REGION]).replace(/\/+$/, '')
}

/**
 * Opsgenie's error body: `{"message":"Request body is not processable. Please check the
 * errors.","errors":{"message":"Message can not be empty."},"took":0.001,"requestId":"…"}`.
 */
function opsgenieError(res: HttpResponse): string | undefined {
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { message?: unknown; errors?: unknown }
    const message = typeof body.message === 'string' ? body.message : undefined
    const errors =
      body.errors !== null && typeof body.errors === 'object' && !Array.isArray(body.errors)
        ? Object.entries(body.errors).filter((e): e is [string, string] => typeof e[1] === 'string').map(([field, error]) => `${field}: ${error}`)
        : []
    if (!message && errors.length === 0) return undefined
    return [message, ...errors].filter(Boolean).join('; ')
  } catch {
    return undefined
  }
}

function withOpsgenieReason(result: DeliveryResult, res: HttpResponse): DeliveryResult {
  if (result.outcome === 'ok') return result
  const detail = opsgenieError(res)
  return detail ? { ...result, reason: `${result.reason}: ${detail}` } : result
}

export default defineAction({
  apiVersion: 1,
  name: 'opsgenie',
  version: '1.0.0',
  title: 'Opsgenie alert',
  description: 'Creates (or acknowledges / closes) an Opsgenie alert through the Alert API v2.',
  config: OpsgenieConfig,
  secrets: ['apiKey'],

  async deliver(input, ctx) {
    const { config, signal } = input
    let alert: AlertRequest
    try {
      alert = buildAlertRequest(config, templateContext(input))
    } catch (err) {
      if (err instanceof AlertBuildError) return fail(err.message)
      throw err
    }
    const url = `${apiOrigin(config)}${alert.path}`
    const headers: Headers = { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...ctx.traceHeaders() }
    const body = Buffer.from(JSON.stringify(alert.body))
    // The API key is a secret: the recorded copy of the request has it masked.
    const request = { url, method: 'POST', headers: { ...headers, authorization: `GenieKey ${MASK}` }, body }
    try {
      const res = await ctx.http.request({
        url,
        method: 'POST',
        headers: { ...headers, authorization: `GenieKey ${config.apiKey}` },
        body,
        timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal,
      })
      return withOpsgenieReason(classifyHttpResponse(res, { request, response: res }), res)
    } catch (err) {
      return classifyHttpError(err, { request })
    }
  },
})
