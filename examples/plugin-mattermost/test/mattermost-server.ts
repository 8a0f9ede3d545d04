/**
 * A local stand-in for a Mattermost server's incoming webhooks (POST /hooks/<key>),
 * answering the way Mattermost does on the points the plugin relies on:
 *
 * - 200 `ok` as text/plain when the post is made;
 * - errors as Mattermost's AppError JSON (`{"id","message","detailed_error","request_id",
 *   "status_code"}`): 400 `web.incoming_webhook.invalid.app_error` for an unknown or
 *   deleted hook, 400 `web.incoming_webhook.parse.app_error` for a body it cannot read,
 *   400 `web.incoming_webhook.text.app_error` when there is neither text nor
 *   attachments, 404 `web.incoming_webhook.channel.app_error` for an unknown channel
 *   override, 501 `web.incoming_webhook.disabled.app_error` when an admin turned
 *   incoming webhooks off;
 * - the form-encoded variant (`payload=<json>`) as well as JSON bodies;
 * - optional rate limiting (Mattermost's RateLimitSettings, off by default): 429 with a
 *   `limit exceeded` text body, X-Ratelimit-* headers and Retry-After in seconds.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export const DEFAULT_CHANNEL = 'town-square'
const RATE_WINDOW_MS = 1000

export interface MattermostPost {
  readonly hook: string
  /** The channel the post landed in: the override, or the hook's own. */
  readonly channel: string
  readonly text: string
  readonly username: string | undefined
  readonly iconUrl: string | undefined
  readonly iconEmoji: string | undefined
  readonly headers: IncomingMessage['headers']
}

export interface FakeMattermostOptions {
  /** Channels that exist besides each hook's own. */
  readonly channels?: readonly string[]
  /** Requests per second before 429; off (like Mattermost's default) when absent. */
  readonly rateLimitPerSecond?: number
}

export interface FakeMattermost {
  readonly url: string
  readonly posts: MattermostPost[]
  /** Every answer given, in order. */
  readonly answers: { status: number; id: string | undefined }[]
  /** Creates an incoming webhook posting to `channel` and returns its URL. */
  hook(channel?: string): string
  deleteHook(url: string): void
  setWebhooksEnabled(enabled: boolean): void
  close(): Promise<void>
}

const MESSAGES: Record<string, string> = {
  'web.incoming_webhook.invalid.app_error': 'Invalid webhook.',
  'web.incoming_webhook.parse.app_error': 'Unable to parse incoming data.',
  'web.incoming_webhook.text.app_error': 'No text specified.',
  'web.incoming_webhook.channel.app_error': "Couldn't find the channel.",
  'web.incoming_webhook.disabled.app_error': 'Incoming webhooks have been disabled by the system admin.',
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Mattermost reads `payload=<json>` from a form body, and the raw body otherwise. */
function decode(contentType: string | undefined, raw: string): Record<string, unknown> | undefined {
  try {
    const json = contentType?.split(';')[0]?.trim() === 'application/x-www-form-urlencoded' ? new URLSearchParams(raw).get('payload') ?? '' : raw
    const parsed: unknown = JSON.parse(json)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

export async function startFakeMattermost(opts: FakeMattermostOptions = {}): Promise<FakeMattermost> {
  const hooks = new Map<string, string>()
  const channels = new Set(opts.channels ?? [])
  const posts: MattermostPost[] = []
  const answers: FakeMattermost['answers'] = []
  let enabled = true
  let window = { start: 0, count: 0 }

  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const appError = (status: number, id: string) => {
        answers.push({ status, id })
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ id, message: MESSAGES[id] ?? '', detailed_error: '', request_id: randomBytes(13).toString('hex'), status_code: status }))
      }
      const now = Date.now()
      if (opts.rateLimitPerSecond !== undefined) {
        if (now - window.start >= RATE_WINDOW_MS) window = { start: now, count: 0 }
        window.count += 1
        if (window.count > opts.rateLimitPerSecond) {
          const reset = Math.ceil((window.start + RATE_WINDOW_MS - now) / 1000)
          answers.push({ status: 429, id: undefined })
          res.writeHead(429, {
            'content-type': 'text/plain; charset=utf-8',
            'x-ratelimit-limit': String(opts.rateLimitPerSecond),
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(reset),
            'retry-after': String(reset),
          })
          res.end('limit exceeded\n')
          return
        }
      }
      const match = /^\/hooks\/([a-z0-9]+)$/.exec(req.url ?? '')
      if (req.method !== 'POST' || !match) {
        answers.push({ status: 404, id: undefined })
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('404 page not found')
        return
      }
      if (!enabled) return appError(501, 'web.incoming_webhook.disabled.app_error')
      const body = decode(req.headers['content-type'], raw)
      if (!body) return appError(400, 'web.incoming_webhook.parse.app_error')
      const text = str(body.text)
      if (!text && body.attachments === undefined) return appError(400, 'web.incoming_webhook.text.app_error')
      const own = hooks.get(match[1]!)
      if (own === undefined) return appError(400, 'web.incoming_webhook.invalid.app_error')
      const override = str(body.channel)?.replace(/^#/, '')
      if (override !== undefined && override !== own && !channels.has(override)) return appError(404, 'web.incoming_webhook.channel.app_error')
      posts.push({
        hook: match[1]!,
        channel: override ?? own,
        text: text ?? '',
        username: str(body.username),
        iconUrl: str(body.icon_url),
        iconEmoji: str(body.icon_emoji),
        headers: req.headers,
      })
      answers.push({ status: 200, id: undefined })
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    posts,
    answers,
    hook(channel = DEFAULT_CHANNEL) {
      // Mattermost hook keys are 26 lower-case alphanumerics.
      const key = randomBytes(13).toString('hex')
      hooks.set(key, channel)
      return `${url}/hooks/${key}`
    },
    deleteHook(hookUrl) {
      hooks.delete(hookUrl.slice(hookUrl.lastIndexOf('/') + 1))
    },
    setWebhooksEnabled(value) {
      enabled = value
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())))
    },
  }
}
