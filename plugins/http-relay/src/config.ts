/**
 * The http-relay subscription config. Header names the relay itself owns are refused
 * here, so a bad subscription is rejected when it is created rather than failing at
 * delivery: hop-by-hop and framing headers (the HTTP client manages the connection and
 * the body length) and the Standard Webhooks headers (a subscriber must not be able to
 * forge or blank the signature).
 */
import Type, { type Static } from 'typebox'

export const DEFAULT_METHOD = 'POST'
export const DEFAULT_TIMEOUT_MS = 15_000
export const MIN_TIMEOUT_MS = 100
export const MAX_TIMEOUT_MS = 60_000

export const RESERVED_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]

/** `[cC][oO]...`: JSON Schema patterns have no case-insensitive flag. */
function anyCase(name: string): string {
  return [...name].map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : c.replace(/[.]/g, '\\$&'))).join('')
}

/** An RFC 9110 token that is not one of the reserved names. */
const HEADER_NAME_PATTERN = `^(?!(?:${RESERVED_HEADERS.map(anyCase).join('|')})$)[!#$%&'*+.^_\`|~0-9A-Za-z-]+$`
/**
 * What the HTTP client accepts at send time (Node's header check and undici's: field
 * content of RFC 9110, no CR, LF or NUL, no other control character, no leading or
 * trailing whitespace, bytes only up to 0xFF), so a value that could never be sent is
 * refused when the subscription is saved instead of failing every delivery. No CR/LF also
 * means no value smuggles a second header.
 */
const HEADER_VALUE_PATTERN = '^(?:[\\x21-\\x7e\\x80-\\xff](?:[\\t\\x20-\\x7e\\x80-\\xff]*[\\x21-\\x7e\\x80-\\xff])?)?$'

export const HttpRelayConfig = Type.Object(
  {
    url: Type.String({ format: 'uri', pattern: '^[hH][tT][tT][pP][sS]?://', description: 'Receiver URL (http or https).' }),
    method: Type.Optional(
      Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')], {
        default: DEFAULT_METHOD,
        description: 'HTTP method.',
      }),
    ),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String({ pattern: HEADER_VALUE_PATTERN }), {
        propertyNames: { pattern: HEADER_NAME_PATTERN },
        description: 'Extra request headers, e.g. an Authorization token.',
      }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: MIN_TIMEOUT_MS,
        maximum: MAX_TIMEOUT_MS,
        default: DEFAULT_TIMEOUT_MS,
        description: 'Time allowed for the whole request, response body included.',
      }),
    ),
  },
  { additionalProperties: false },
)

export type HttpRelayConfig = Static<typeof HttpRelayConfig>

export function isReservedHeader(name: string): boolean {
  return RESERVED_HEADERS.includes(name.toLowerCase())
}
