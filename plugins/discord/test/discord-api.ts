/**
 * A local stand-in for Discord's execute-webhook endpoint, answering as Discord does on
 * the points the plugin relies on: `?wait=true` gives 200 with the message as JSON
 * (204 without); errors are JSON `{message, code}` (404 Unknown Webhook 10015, 401
 * Invalid Webhook Token 50027, 400 Cannot send an empty message 50006, 400 Invalid Form
 * Body 50035); a webhook takes 5 messages per 2 s, then 429 with `retry_after` (seconds,
 * fractional) in the body and `Retry-After` / `X-RateLimit-Reset-After` headers.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export const RATE_LIMIT = 5
export const RATE_WINDOW_MS = 2000

export type WebhookState = 'active' | 'unknown' | 'bad_token'

export interface DiscordPost {
  readonly path: string
  readonly query: URLSearchParams
  readonly body: Record<string, unknown>
}

export async function startFakeDiscord() {
  const states = new Map<string, WebhookState>()
  const windows = new Map<string, number[]>()
  const posts: DiscordPost[] = []
  let n = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers })
        res.end(body === undefined ? undefined : JSON.stringify(body))
      }
      const state = states.get(url.pathname)
      if (!state || state === 'unknown') return answer(404, { message: 'Unknown Webhook', code: 10015 })
      if (state === 'bad_token') return answer(401, { message: 'Invalid Webhook Token', code: 50027 })
      const now = Date.now()
      const recent = (windows.get(url.pathname) ?? []).filter((at) => now - at < RATE_WINDOW_MS)
      if (recent.length >= RATE_LIMIT) {
        const resetAfter = (recent[0]! + RATE_WINDOW_MS - now) / 1000
        return answer(
          429,
          { message: 'You are being rate limited.', retry_after: resetAfter, global: false },
          { 'retry-after': String(Math.ceil(resetAfter)), 'x-ratelimit-limit': String(RATE_LIMIT), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': resetAfter.toFixed(3), 'x-ratelimit-scope': 'user' },
        )
      }
      let body: Record<string, unknown>
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
      } catch {
        return answer(400, { message: 'Cannot send an empty message', code: 50006 })
      }
      const content = typeof body.content === 'string' ? body.content : ''
      const embeds = Array.isArray(body.embeds) ? body.embeds : []
      if (content.length > 2000) {
        return answer(400, { message: 'Invalid Form Body', code: 50035, errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } })
      }
      if (!content && embeds.length === 0) return answer(400, { message: 'Cannot send an empty message', code: 50006 })
      windows.set(url.pathname, [...recent, now])
      posts.push({ path: url.pathname, query: url.searchParams, body })
      if (url.searchParams.get('wait') !== 'true') return answer(204)
      answer(200, { id: String(1_000_000 + posts.length), type: 0, channel_id: '42', content, embeds, mentions: [] })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: base,
    posts,
    webhook(state: WebhookState = 'active') {
      const path = `/api/webhooks/12345678901234${++n}/t0k3nS3cr3t-${n}`
      states.set(path, state)
      return `${base}${path}`
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
