/**
 * SMTP outcomes as ok / retry / fail, following the reply-code classes of RFC 5321:
 *
 * - 4xx is a transient negative reply ("try again later": greylisting, mailbox busy,
 *   421 service closing, 452 storage): retry.
 * - 5xx is permanent (unknown user, relay denied, 535 authentication failed, message
 *   rejected): fail, with the server's reply as the reason and in the attempt log.
 * - No reply at all (refused, reset, DNS, TLS handshake, timeouts): retry.
 * - The SSRF guard refusing the host (private, loopback, metadata address): fail.
 * - Errors nodemailer raises before talking (no recipients, a malformed message): fail.
 */
import { EGRESS_REFUSED, fail, retry, type DeliveryResult, type RecordedRequest, type RecordedResponse } from '@webhook-relay/plugin-sdk'

/**
 * Error codes that mean the mail cannot be sent as configured, whatever the server says
 * later: nodemailer's own, and the SSRF guard refusing the SMTP host.
 */
const PERMANENT_LOCAL_CODES: ReadonlySet<string> = new Set(['EENVELOPE', 'EMESSAGE', 'EAUTH', 'EMAXLIMIT', EGRESS_REFUSED])

interface SmtpError {
  message?: unknown
  code?: unknown
  response?: unknown
  responseCode?: unknown
  command?: unknown
}

/** The reply code at the start of an SMTP response line ("250 2.0.0 Ok: queued"). */
export function replyCode(response: string): number | undefined {
  const m = /^([2-5]\d\d)[ -]/.exec(response)
  return m ? Number(m[1]) : undefined
}

export function smtpResponse(code: number, text: string, headers: Record<string, string> = {}): RecordedResponse {
  return { status: code, headers, body: Buffer.from(text) }
}

export function classifySmtpError(err: unknown, request: RecordedRequest): DeliveryResult {
  const e = (err ?? {}) as SmtpError
  const message = typeof e.message === 'string' ? e.message : String(err)
  const code = typeof e.code === 'string' ? e.code : undefined
  const reply = typeof e.response === 'string' ? e.response.trim() : undefined
  const status = typeof e.responseCode === 'number' ? e.responseCode : reply ? replyCode(reply) : undefined
  if (status !== undefined && status >= 400) {
    const command = typeof e.command === 'string' ? ` after ${e.command.split(' ')[0]}` : ''
    const reason = `SMTP ${status}${command}: ${reply ?? message}`
    const exchange = { request, response: smtpResponse(status, reply ?? message) }
    return status < 500 ? retry(reason, { exchange }) : fail(reason, { exchange })
  }
  const reason = code && !message.includes(code) ? `${code}: ${message}` : message
  if (code && PERMANENT_LOCAL_CODES.has(code)) return fail(reason, { exchange: { request } })
  return retry(reason, { exchange: { request } })
}
