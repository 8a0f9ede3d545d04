/**
 * relay-plugin-mattermost: a third-party style Webhook Relay action plugin that posts
 * each webhook to a Mattermost channel through an incoming webhook. It is the worked
 * example of docs/plugins.md: a manifest (name, config schema, secret fields) and one
 * deliver() that does a single attempt and says what happened; the relay does the rest.
 */
import { classifyHttpError, defineAction, fail, redactWebhookUrl } from '@webhook-relay/plugin-sdk'
import { DEFAULT_TIMEOUT_MS, MattermostConfig } from './config.ts'
import { buildMessage, type MattermostMessage } from './message.ts'
import { classifyMattermostResponse } from './outcome.ts'

export const USER_AGENT = 'WebhookRelay/1.0 (+relay-plugin-mattermost)'

export { MattermostConfig } from './config.ts'
export type { MattermostMessage } from './message.ts'

export default defineAction({
  // Written out, not left to defineAction: defineAction comes from the relay that loads
  // the plugin (a peer dependency), so its default is always that relay's version and
  // the host could never tell this plugin was written for another one.
  apiVersion: 1,
  name: 'mattermost',
  version: '1.0.0',
  title: 'Mattermost message',
  description: 'Posts each event to a Mattermost channel through an incoming webhook, as Markdown from a template.',
  config: MattermostConfig,
  secrets: ['webhookUrl'],

  async deliver({ event, payload, config, delivery, signal }, ctx) {
    let message: MattermostMessage
    try {
      message = buildMessage(event, payload, config)
    } catch (err) {
      // Nothing here depends on the destination: what fails now fails on every retry.
      return fail(`cannot build the message: ${(err as Error).message}`)
    }
    const body = Buffer.from(JSON.stringify(message))
    const headers = { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...ctx.traceHeaders() }
    const request = { url: redactWebhookUrl(config.webhookUrl), method: 'POST', headers, body }
    ctx.log.debug({ deliveryId: delivery.id, attempt: delivery.attempt, url: request.url }, 'posting to mattermost')
    try {
      const res = await ctx.http.request({ url: config.webhookUrl, method: 'POST', headers, body, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal })
      return classifyMattermostResponse(res, { request, response: { status: res.status, headers: res.headers, body: res.body } })
    } catch (err) {
      return classifyHttpError(err, { request })
    }
  },
})
