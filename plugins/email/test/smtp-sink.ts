/**
 * A local SMTP server for tests (the smtp-server package, from nodemailer's authors),
 * recording what arrived: the envelope, the parsed message (mailparser) and the login.
 * Replies can be scripted per command, with real SMTP reply codes, to play a server
 * that greylists (450), is out of space (452), does not know a user (550) or refuses
 * the content (554).
 */
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer, type SMTPServerAddress } from 'smtp-server'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface ReceivedMail {
  readonly mailFrom: string
  readonly rcptTo: readonly string[]
  readonly user: string | undefined
  readonly raw: Buffer
  readonly parsed: ParsedMail
}

export interface SmtpReply {
  readonly code: number
  readonly message: string
}

export interface SinkOptions {
  /** Accept only this login (AUTH PLAIN/LOGIN); without it no AUTH is required. */
  readonly login?: { readonly username: string; readonly password: string }
  /** A negative reply to RCPT TO for this address, or undefined to accept it. */
  readonly rcpt?: (address: string) => SmtpReply | undefined
  /** Negative replies to the next DATA commands, in order; then DATA is accepted. */
  readonly data?: SmtpReply[]
}

export interface SmtpSink {
  readonly host: string
  readonly port: number
  readonly mails: ReceivedMail[]
  /** TCP connections accepted so far. */
  readonly connections: () => number
}

function reject(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code })
}

export async function startSmtpSink(t: Test, opts: SinkOptions = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = []
  const dataReplies = [...(opts.data ?? [])]
  let connections = 0
  const server = new SMTPServer({
    // Plain text on loopback: no STARTTLS offered, so the client does not try a self-signed upgrade.
    disabledCommands: opts.login ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !opts.login,
    logger: false,
    closeTimeout: 100,
    onConnect(_session, callback) {
      connections++
      callback()
    },
    onAuth(auth, _session, callback) {
      const ok = opts.login && auth.username === opts.login.username && auth.password === opts.login.password
      if (!ok) return callback(reject({ code: 535, message: '5.7.8 Authentication credentials invalid' }))
      callback(null, { user: auth.username })
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const reply = opts.rcpt?.(address.address)
      callback(reply ? reject(reply) : undefined)
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const reply = dataReplies.shift()
        if (reply) return callback(reject(reply))
        const raw = Buffer.concat(chunks)
        simpleParser(raw).then(
          (parsed) => {
            mails.push({
              mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              user: typeof session.user === 'string' ? session.user : undefined,
              raw,
              parsed,
            })
            callback()
          },
          (err: Error) => callback(err),
        )
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { host: '127.0.0.1', port, mails, connections: () => connections }
}
