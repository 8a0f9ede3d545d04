/**
 * email: sends each webhook as an email through an SMTP server, with a subject and text
 * and/or HTML bodies rendered from nunjucks templates, to recipients from the config
 * and/or from the payload.
 *
 * The attempt log gets the envelope and a message summary as the "request" and the
 * server's final reply as the "response" (status = the SMTP reply code), so a person
 * reading a dead letter sees what the server said.
 *
 * Delivery is at-least-once, as everywhere in the relay: if the server accepts the mail
 * but the reply is lost (timeout after DATA), the retry sends it again.
 */
import { defineAction, fail, ok, retry, type RecordedRequest } from '@webhook-relay/plugin-sdk'
import { DEFAULT_PORT, DEFAULT_SUBJECT, DEFAULT_TEXT, DEFAULT_TIMEOUT_MS, EmailConfig } from './config.ts'
import { classifySmtpError, replyCode, smtpResponse } from './outcome.ts'
import { recipientsAt, RecipientsError } from './recipients.ts'
import { render, templateContext } from './template.ts'
import { closeAllTransports, transportFor } from './transports.ts'

export const X_MAILER = 'WebhookRelay/1.0'

interface Message {
  subject: string
  text: string | undefined
  html: string | undefined
}

function renderMessage(config: EmailConfig, context: ReturnType<typeof templateContext>): Message {
  // One line: a template must not be able to break the header.
  const subject = render('subject', config.subject ?? DEFAULT_SUBJECT, context).replace(/[\r\n]+/g, ' ').trim()
  // HTML only when asked for; text by default, and alongside HTML only when configured.
  const text = config.text !== undefined || config.html === undefined ? render('text', config.text ?? DEFAULT_TEXT, context) : undefined
  const html = config.html !== undefined ? render('html', config.html, context, 'html') : undefined
  return { subject, text, html }
}

export default defineAction({
  apiVersion: 1,
  name: 'email',
  version: '1.0.0',
  title: 'Email (SMTP)',
  description: 'Sends each webhook as an email through your SMTP server, from subject and body templates.',
  config: EmailConfig,
  secrets: ['password'],

  /** The pooled SMTP connections are closed when the relay stops (transports.ts). */
  close: closeAllTransports,

  async deliver(input, ctx) {
    const { config, delivery, signal } = input
    const context = templateContext(input)
    let message: Message
    let to: string[]
    try {
      message = renderMessage(config, context)
      to = [...(config.to ?? []), ...(config.recipientsPath ? recipientsAt(context.payload, config.recipientsPath) : [])]
    } catch (err) {
      // A template or payload problem renders the same way on every retry.
      if (err instanceof RecipientsError || (err instanceof Error && err.message.startsWith('template '))) return fail(err.message)
      throw err
    }
    to = [...new Set(to)]

    const request: RecordedRequest = {
      url: `smtp://${config.host}:${config.port ?? DEFAULT_PORT}`,
      method: 'SMTP',
      headers: {
        from: config.from,
        to: to.join(', '),
        ...(config.cc ? { cc: config.cc.join(', ') } : {}),
        ...(config.bcc ? { bcc: config.bcc.join(', ') } : {}),
        subject: message.subject,
        'content-kind': [message.text !== undefined && 'text', message.html !== undefined && 'html'].filter(Boolean).join('+'),
      },
      body: Buffer.from(message.text ?? message.html ?? ''),
    }

    const send = transportFor(config, ctx.connect).sendMail({
      from: config.from,
      to,
      ...(config.cc ? { cc: config.cc } : {}),
      ...(config.bcc ? { bcc: config.bcc } : {}),
      ...(config.replyTo ? { replyTo: config.replyTo } : {}),
      subject: message.subject,
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.html !== undefined ? { html: message.html } : {}),
      // Stable across retries, so a mailbox or filter can spot a repeat.
      headers: { 'X-Webhook-Id': delivery.webhookId, 'X-Mailer': X_MAILER, ...ctx.traceHeaders() },
      xMailer: false,
    })
    // nodemailer cannot be cancelled; stop waiting when the relay's deadline passes (the socket timeouts end it later).
    const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal.aborted) resolve('aborted')
      signal.addEventListener('abort', () => resolve('aborted'), { once: true })
    })
    try {
      const info = await Promise.race([send, aborted])
      if (info === 'aborted') return retry(`no SMTP reply before the delivery deadline (timeoutMs ${timeoutMs})`, { exchange: { request } })
      const reply = info.response.trim()
      const rejected = info.rejected.map(String)
      if (rejected.length > 0) ctx.log.warn({ deliveryId: delivery.id, rejected: rejected.length, accepted: info.accepted.length }, 'some recipients were rejected; sent to the rest')
      const response = smtpResponse(replyCode(reply) ?? 250, reply, {
        'message-id': info.messageId,
        accepted: info.accepted.map(String).join(', '),
        ...(rejected.length > 0 ? { rejected: rejected.join(', ') } : {}),
      })
      return ok({ request, response })
    } catch (err) {
      return classifySmtpError(err, request)
    } finally {
      send.catch(() => {}) // after an abort, the send's eventual failure has nobody to tell
    }
  },
})
