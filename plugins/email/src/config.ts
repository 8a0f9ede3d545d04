/**
 * The email subscription config: where the SMTP server is, who the mail is from and to,
 * and nunjucks templates for the subject and bodies (see template.ts for what they see).
 */
import Type, { type Static } from 'typebox'

export const DEFAULT_PORT = 587
export const DEFAULT_SUBJECT = '[{{ event.sourceSlug }}] webhook {{ event.id }}'
export const DEFAULT_TEXT = '{{ body }}'
export const DEFAULT_TIMEOUT_MS = 15_000
export const MIN_TIMEOUT_MS = 100
export const MAX_TIMEOUT_MS = 60_000
export const DEFAULT_MAX_CONNECTIONS = 2
export const MAX_RECIPIENTS = 50

/** A bare address; deliberately simple (no quoted local parts), and no CR/LF or angle brackets to smuggle headers. */
export const ADDRESS_PATTERN = '^[^\\s@<>,;"]+@[^\\s@<>,;"]+\\.[^\\s@<>,;"]+$'
/** `a@example.com` or `Display Name <a@example.com>`. */
const MAILBOX_PATTERN = `^(?:[^\\r\\n<>"]*<[^\\s@<>,;"]+@[^\\s@<>,;"]+\\.[^\\s@<>,;"]+>|[^\\s@<>,;"]+@[^\\s@<>,;"]+\\.[^\\s@<>,;"]+)$`

const addresses = (description: string) =>
  Type.Optional(Type.Array(Type.String({ pattern: ADDRESS_PATTERN, maxLength: 254 }), { minItems: 1, maxItems: MAX_RECIPIENTS, description }))
const template = (description: string, fallback?: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 65_536, description, ...(fallback === undefined ? {} : { default: fallback }) }))

export const EmailConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:\\[\\]-]+$', description: 'SMTP server host name or IP.' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535, default: DEFAULT_PORT, description: '587 (submission, STARTTLS), 465 (implicit TLS) or 25.' })),
    secure: Type.Optional(Type.Boolean({ default: false, description: 'Implicit TLS from the first byte (port 465). Otherwise STARTTLS is used when the server offers it.' })),
    requireTLS: Type.Optional(Type.Boolean({ default: false, description: 'Refuse to send unless the connection is upgraded with STARTTLS.' })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    from: Type.String({ pattern: MAILBOX_PATTERN, maxLength: 320, description: 'Sender: a@example.com or "Name <a@example.com>".' }),
    replyTo: Type.Optional(Type.String({ pattern: ADDRESS_PATTERN, maxLength: 254 })),
    to: addresses('Recipients. At least one of to and recipientsPath.'),
    cc: addresses('Copy recipients.'),
    bcc: addresses('Blind copy recipients.'),
    recipientsPath: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        pattern: '^(?:\\$\\.)?[A-Za-z_$][\\w$-]*(?:\\[\\d+\\])*(?:\\.[A-Za-z_$][\\w$-]*(?:\\[\\d+\\])*)*$',
        description: 'Where in the JSON payload more recipients are: e.g. customer.email or $.owners (a string or an array of strings).',
      }),
    ),
    subject: template('Subject template.', DEFAULT_SUBJECT),
    text: template('Plain-text body template.', DEFAULT_TEXT),
    html: template('HTML body template (values are HTML-escaped). With text, the mail is multipart/alternative.'),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: MIN_TIMEOUT_MS, maximum: MAX_TIMEOUT_MS, default: DEFAULT_TIMEOUT_MS, description: 'Connection, greeting and socket inactivity timeout.' }),
    ),
    maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: DEFAULT_MAX_CONNECTIONS, description: 'Pooled SMTP connections per server and account.' })),
  },
  {
    additionalProperties: false,
    dependentRequired: { password: ['username'], username: ['password'] },
    // Recipients must come from somewhere; the payload may still add none, which fails that delivery.
    anyOf: [{ required: ['to'] }, { required: ['recipientsPath'] }],
  },
)

export type EmailConfig = Static<typeof EmailConfig>
