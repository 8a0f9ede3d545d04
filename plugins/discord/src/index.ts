/**
 * discord: posts each event to a Discord channel through a channel webhook, as content
 * and embeds rendered from nunjucks templates, with mentions off unless asked for.
 *
 * Discord's answers, on top of the shared HTTP rules: 200 (we ask `wait=true`, so the
 * message comes back) delivered; 429 retried after the longest of `retry_after` in the
 * JSON body, `Retry-After` and `X-RateLimit-Reset-After`; 404 Unknown Webhook (10015)
 * and 400/401/403 fail with Discord's message and code; 5xx retried.
 */
import { classifyHttpError, classifyHttpResponse, defineAction, fail, redactWebhookUrl, retry, type DeliveryResult } from '@webhook-relay/plugin-sdk'
import { DEFAULT_TIMEOUT_MS, DiscordConfig } from './config.ts'
import { buildMessage, type DiscordMessage } from './message.ts'
import { discordRetryAfterMs } from './rate-limit.ts'

export const USER_AGENT = 'WebhookRelay/1.0 (+discord)'

function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

function discordError(body: unknown): string | undefined {
  const { message, code } = (body ?? {}) as { message?: unknown; code?: unknown }
  if (typeof message !== 'string') return undefined
  return typeof code === 'number' && code !== 0 ? `${message} (${code})` : message
}

function targetUrl(webhookUrl: string, threadId: string | undefined): string {
  const url = new URL(webhookUrl)
  url.searchParams.set('wait', 'true')
  if (threadId) url.searchParams.set('thread_id', threadId)
  return url.toString()
}

export default defineAction({
  apiVersion: 1,
  name: 'discord',
  version: '1.0.0',
  title: 'Discord message',
  description: 'Posts each event to a Discord channel through a webhook, as content and embeds from templates; mentions off by default.',
  config: DiscordConfig,
  secrets: ['webhookUrl'],
  // Discord's webhook bucket: 5 requests per 2 s (its X-RateLimit headers), and 30 messages
  // a minute per channel. The steady rate keeps the second, the burst the first.
  rateLimit: { perSecond: 0.5, burst: 5 },

  async deliver({ event, payload, config, delivery, signal }, ctx) {
    let message: DiscordMessage
    try {
      message = buildMessage({ event, payload, delivery, config })
    } catch (err) {
      return fail((err as Error).message)
    }
    const url = targetUrl(config.webhookUrl, config.threadId)
    const body = Buffer.from(JSON.stringify(message))
    const headers = { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...ctx.traceHeaders() }
    const request = { url: redactWebhookUrl(url), method: 'POST', headers, body }
    try {
      const res = await ctx.http.request({ url, method: 'POST', headers, body, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal })
      const exchange = { request, response: { status: res.status, headers: res.headers, body: res.body } }
      const answer = parseBody(res.body)
      let result: DeliveryResult = classifyHttpResponse(res, exchange)
      if (res.status === 429) {
        const afterMs = discordRetryAfterMs(res.headers, answer)
        result = retry(result.outcome === 'ok' ? 'HTTP 429' : result.reason, afterMs === undefined ? { exchange } : { afterMs, exchange })
      }
      const said = discordError(answer)
      return result.outcome === 'ok' || !said ? result : { ...result, reason: `${result.reason}: discord said ${said}` }
    } catch (err) {
      return classifyHttpError(err, { request })
    }
  },
})
