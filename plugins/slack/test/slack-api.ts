/**
 * A local stand-in for Slack's incoming webhooks, answering the way Slack does on the
 * points the plugin relies on: 200 `ok` as text/html; errors as a bare code in a
 * text/html body (400 invalid_payload / no_text / invalid_blocks, 403 invalid_token,
 * 404 channel_not_found / no_service, 410 channel_is_archived); and the incoming-webhook
 * rate limit of one message per second per webhook, answered 429 `rate_limited` with
 * `Retry-After` in seconds.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export const RATE_LIMIT_WINDOW_MS = 1000

/** How a webhook path behaves: posts to a channel, or fails the way Slack does in that case. */
export type WebhookState = 'active' | 'channel_not_found' | 'channel_is_archived' | 'no_service' | 'invalid_token' | 'invalid_payload'

export interface SlackMessage {
  readonly path: string
  readonly contentType: string | undefined
  readonly body: { text?: unknown; blocks?: unknown } & Record<string, unknown>
  readonly at: number
}

export interface FakeSlack {
  readonly url: string
  /** Accepted messages, in order. */
  readonly messages: SlackMessage[]
  /** Every answer given: status and body. */
  readonly answers: { path: string; status: number; body: string }[]
  /** A webhook URL of this server in the given state. */
  webhook(state?: WebhookState): string
  close(): Promise<void>
}

const STATUS: Record<Exclude<WebhookState, 'active'>, number> = {
  channel_not_found: 404,
  channel_is_archived: 410,
  no_service: 404,
  invalid_token: 403,
  invalid_payload: 400,
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const states = new Map<string, WebhookState>()
  const lastAccepted = new Map<string, number>()
  const messages: SlackMessage[] = []
  const answers: FakeSlack['answers'] = []
  let n = 0

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = req.url ?? '/'
      const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
        answers.push({ path, status, body })
        res.writeHead(status, { 'content-type': 'text/html', ...headers })
        res.end(body)
      }
      const state = states.get(path)
      if (req.method !== 'POST') return answer(405, 'invalid_method')
      if (!state) return answer(404, 'no_service')
      if (state !== 'active') return answer(STATUS[state], state)
      let body: SlackMessage['body']
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return answer(400, 'invalid_payload')
        body = parsed as SlackMessage['body']
      } catch {
        return answer(400, 'invalid_payload')
      }
      const hasBlocks = Array.isArray(body.blocks) && body.blocks.length > 0
      if (body.blocks !== undefined && (!Array.isArray(body.blocks) || body.blocks.some((b) => typeof (b as { type?: unknown })?.type !== 'string'))) {
        return answer(400, 'invalid_blocks')
      }
      if ((typeof body.text !== 'string' || body.text === '') && !hasBlocks) return answer(400, 'no_text')
      const now = Date.now()
      const last = lastAccepted.get(path)
      if (last !== undefined && now - last < RATE_LIMIT_WINDOW_MS) {
        return answer(429, 'rate_limited', { 'retry-after': String(Math.ceil((last + RATE_LIMIT_WINDOW_MS - now) / 1000)) })
      }
      lastAccepted.set(path, now)
      messages.push({ path, contentType: req.headers['content-type'], body, at: now })
      answer(200, 'ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    messages,
    answers,
    webhook(state = 'active') {
      const path = `/services/T0RELAY${++n}/B0RELAY${n}/Xk3yS3cr3tT0k3n${n}`
      states.set(path, state)
      return `${url}${path}`
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
