/**
 * http-relay: forwards the (possibly transformed) webhook body to the subscriber's URL,
 * signed with Standard Webhooks so the receiver can check it came from this relay.
 *
 * Header precedence, later wins: content type, subscription headers, transform headers,
 * then the headers the relay owns (signature, trace context, user agent), which nothing
 * upstream can override.
 */
import { classifyHttpError, classifyHttpResponse, defineAction, fail, URL_SECRET_MASK, type Headers } from '@webhook-relay/plugin-sdk'
import { DEFAULT_METHOD, DEFAULT_TIMEOUT_MS, HttpRelayConfig, isReservedHeader } from './config.ts'

export const USER_AGENT = 'WebhookRelay/1.0'

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin
  } catch {
    return false
  }
}

function lowercased(headers: Headers): Headers {
  const out: Headers = {}
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value
  return out
}

export default defineAction({
  apiVersion: 1,
  name: 'http-relay',
  version: '1.0.0',
  title: 'HTTP relay',
  description: 'POSTs the webhook to a URL, signed with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).',
  config: HttpRelayConfig,
  // Any header may carry a credential (Authorization, X-Api-Key, a cookie): all are sealed.
  secrets: ['headers.*'],

  async deliver({ payload, config, subscription, delivery, signal }, ctx) {
    const url = payload.url ?? config.url
    const method = config.method ?? DEFAULT_METHOD
    if (subscription.signingSecrets.length === 0) {
      // Never send unsigned: a receiver that verifies would reject it anyway, and one that does not should not be trained to accept it.
      return fail('subscription has no signing secret')
    }

    const transformHeaders = lowercased(payload.headers)
    const dropped = Object.keys(transformHeaders).filter(isReservedHeader)
    for (const name of dropped) delete transformHeaders[name]
    if (dropped.length > 0) ctx.log.warn({ dropped, deliveryId: delivery.id }, 'transform set headers the relay owns; ignored')

    let signature: Headers
    try {
      signature = ctx.signer.sign({
        webhookId: delivery.webhookId,
        timestamp: Math.floor(Date.now() / 1000),
        body: payload.body,
        secrets: subscription.signingSecrets,
      })
    } catch (err) {
      // A malformed stored secret will not fix itself on retry.
      return fail(`cannot sign the delivery: ${(err as Error).message}`)
    }

    // The configured headers (credentials, often) go only to the configured origin: a
    // transform that sends the delivery elsewhere does not take them along.
    const configured = sameOrigin(url, config.url) ? lowercased(config.headers ?? {}) : {}
    if (!sameOrigin(url, config.url) && Object.keys(config.headers ?? {}).length > 0) {
      ctx.log.warn({ deliveryId: delivery.id }, 'transform sent the delivery to another origin than the subscription URL; the configured headers were not sent')
    }
    const headers: Headers = {
      'content-type': payload.contentType,
      ...configured,
      ...transformHeaders,
      ...signature,
      ...lowercased(ctx.traceHeaders()),
      'user-agent': USER_AGENT,
    }
    const request = { url, method, headers, body: payload.body }
    // What the delivery log records: configured header values are secrets (they are
    // sealed at rest), so the recorded copy has them masked, whatever their names.
    const sentFromConfig = Object.keys(configured).filter((h) => headers[h] === configured[h])
    const recorded = { ...request, headers: { ...headers, ...Object.fromEntries(sentFromConfig.map((h) => [h, URL_SECRET_MASK])) } }

    try {
      const res = await ctx.http.request({ ...request, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal })
      return classifyHttpResponse(res, { request: recorded, response: { status: res.status, headers: res.headers, body: res.body } })
    } catch (err) {
      return classifyHttpError(err, { request: recorded })
    }
  },
})
