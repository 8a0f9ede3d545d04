/**
 * Pooled nodemailer SMTP transports, one per server and account, kept across
 * deliveries so a busy subscription reuses authenticated connections instead of paying
 * for TCP, TLS, EHLO and AUTH on every mail.
 *
 * Every timeout is explicit: connecting, waiting for the greeting, and socket
 * inactivity. The inactivity timeout also closes pooled connections that sit idle, so a
 * quiet relay does not hold SMTP sessions open for ever.
 *
 * Every connection is opened by the relay's SSRF guard (`ctx.connect`, handed to
 * nodemailer as `getSocket`): an SMTP host that is, or resolves to, a private, loopback
 * or metadata address is refused like an HTTP receiver would be. Nodemailer then speaks
 * SMTP on that socket, with STARTTLS or implicit TLS verified against the host name.
 */
import { createHash } from 'node:crypto'
import type { Socket } from 'node:net'
import type { TcpConnect } from '@webhook-relay/plugin-sdk'
import nodemailer, { type Transporter } from 'nodemailer'
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js'
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_PORT, DEFAULT_TIMEOUT_MS, type EmailConfig } from './config.ts'

/** Distinct servers/accounts kept; beyond this the oldest pool is closed. */
const MAX_TRANSPORTS = 50
/** Mails per connection before it is recycled (nodemailer's default, made visible). */
const MAX_MESSAGES_PER_CONNECTION = 100

export type Mailer = Transporter<SMTPPool.SentMessageInfo, SMTPPool.Options>
/** Each pool is tied to the guard it was made with (one per process; several in tests). */
const transports = new Map<string, { mailer: Mailer; connect: TcpConnect }>()

function cacheKey(config: EmailConfig): string {
  const { host, port, secure, requireTLS, username, password, timeoutMs, maxConnections } = config
  // Hashed so the map's keys are not one more in-memory copy of the password.
  return createHash('sha256').update(JSON.stringify([host, port, secure, requireTLS, username, password, timeoutMs, maxConnections])).digest('hex')
}

export function transportFor(config: EmailConfig, connect: TcpConnect): Mailer {
  const key = cacheKey(config)
  const existing = transports.get(key)
  if (existing?.connect === connect) return existing.mailer
  if (existing) {
    transports.delete(key)
    existing.mailer.close()
  }
  const timeout = config.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const transport: Mailer = nodemailer.createTransport({
    pool: true,
    // The socket comes from the SSRF guard; nodemailer never resolves or connects itself.
    getSocket: (options: { host?: string; port?: number }, callback: (err: Error | null, socketOptions?: { connection: Socket }) => void) => {
      connect({ host: options.host ?? config.host, port: options.port ?? DEFAULT_PORT, timeoutMs: timeout }).then(
        (connection) => callback(null, { connection }),
        (err: Error) => callback(err),
      )
    },
    host: config.host,
    port: config.port ?? DEFAULT_PORT,
    secure: config.secure ?? false,
    requireTLS: config.requireTLS ?? false,
    ...(config.username && config.password ? { auth: { user: config.username, pass: config.password } } : {}),
    maxConnections: config.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxMessages: MAX_MESSAGES_PER_CONNECTION,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
    // Nodemailer logs nothing unless given a logger; the plugin logs outcomes itself.
    logger: false,
  })
  // An idle pooled connection timing out or being dropped by the server is routine; without a listener it would crash the process.
  transport.on('error', () => {})
  if (transports.size >= MAX_TRANSPORTS) {
    const [oldestKey, oldest] = transports.entries().next().value as [string, { mailer: Mailer }]
    transports.delete(oldestKey)
    oldest.mailer.close()
  }
  transports.set(key, { mailer: transport, connect })
  return transport
}

/** Closes every pool: the plugin's close(), when the relay stops (and tests). */
export function closeAllTransports(): void {
  for (const t of transports.values()) t.mailer.close()
  transports.clear()
}

/** How many pools are kept (tests). */
export const transportCount = (): number => transports.size
