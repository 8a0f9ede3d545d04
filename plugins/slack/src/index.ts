/**
 * slack: posts each event to a Slack channel through an incoming-webhook URL, as text
 * (always set) and Block Kit blocks rendered from nunjucks templates.
 *
 * Slack's answers, on top of the shared HTTP rules: 200 "ok" delivered; 429 with
 * Retry-After retried after that delay; 400 invalid_payload / no_text / invalid_blocks,
 * 403 action_prohibited / invalid_token and 404 channel_not_found / no_service fail with
 * Slack's error code in the reason; 410 channel_is_archived fails and disables the
 * subscription; 5xx retried.
 */
import { classifyHttpError, classifyHttpResponse, defineAction, fail, redactWebhookUrl, type DeliveryResult } from '@webhook-relay/plugin-sdk'
import { DEFAULT_TIMEOUT_MS, SlackConfig } from './config.ts'
import { buildMessage, type SlackMessage } from './message.ts'

export const USER_AGENT = 'WebhookRelay/1.0 (+slack)'
/** Slack answers errors as a short text/html code; anything longer is not one of them. */
const MAX_ERROR_CODE_CHARS = 100

/** Slack's error code from a response body (`invalid_payload`), when it is one. */
function slackErrorCode(body: Buffer): string | undefined {
  const text = body.toString('utf8').trim()
  return text && text.length <= MAX_ERROR_CODE_CHARS && /^[a-z_]+$/.test(text) ? text : undefined
}

function withSlackReason(result: DeliveryResult, code: string | undefined): DeliveryResult {
  if (result.outcome === 'ok' || !code) return result
  return { ...result, reason: `${result.reason}: slack said ${code}` }
}

export default defineAction({
  apiVersion: 1,
  name: 'slack',
  version: '1.0.0',
  title: 'Slack message',
  description: 'Posts each event to a Slack channel through an incoming webhook, from a text or Block Kit template.',
  config: SlackConfig,
  secrets: ['webhookUrl'],
  // Slack's incoming webhooks take one message a second (api.slack.com/apis/rate-limits);
  // beyond it they answer 429. Paced here, a busy channel waits instead of retrying.
  rateLimit: { perSecond: 1, burst: 1 },

  async deliver({ event, payload, config, delivery, signal }, ctx) {
    let message: SlackMessage
    try {
      message = buildMessage({ event, payload, delivery, config })
    } catch (err) {
      // A template that fails now fails on every retry: dead-letter it with the reason.
      return fail((err as Error).message)
    }
    const body = Buffer.from(JSON.stringify(message))
    const headers = { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT, ...ctx.traceHeaders() }
    const request = { url: redactWebhookUrl(config.webhookUrl), method: 'POST', headers, body }
    try {
      const res = await ctx.http.request({ url: config.webhookUrl, method: 'POST', headers, body, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal })
      const result = classifyHttpResponse(res, { request, response: { status: res.status, headers: res.headers, body: res.body } })
      return withSlackReason(result, slackErrorCode(res.body))
    } catch (err) {
      return classifyHttpError(err, { request })
    }
  },
})
