/**
 * Turns what the sandbox returned into a TransformOutcome: the body as bytes with its
 * content type, and the options a script passed to relay.payload() checked here, on
 * the host, where a mistake becomes a clear 'output' error instead of a bad request.
 */
import type { Headers, Payload } from '../plugin/contract.ts'
import { cleanMessage, findPosition } from './error-position.ts'
import type { RawLog, RawResult, ScriptResult } from './protocol.ts'
import { MAX_LOG_LINES } from './types.ts'
import type { TransformError, TransformErrorKind, TransformLog, TransformLogLevel, TransformOutcome } from './types.ts'

export const JSON_CONTENT_TYPE = 'application/json'
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8'

const OPTION_NAMES = new Set(['headers', 'url', 'contentType'])
/** RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/
/** Visible ASCII, space, tab and obs-text: no CR or LF, so no header injection. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
/** Headers the relay itself sets (framing, Standard Webhooks signature, tracing). */
const RESERVED_HEADERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer',
  'proxy-authorization', 'proxy-connection', 'webhook-id', 'webhook-timestamp', 'webhook-signature',
  'traceparent', 'tracestate',
])
const ARRAY_BUFFER_OOM = 'RangeError: Array buffer allocation failed'
const LEVELS = new Set<string>(['log', 'info', 'debug', 'warn', 'error'])

type Settled = Exclude<RawResult, { k: 'missing' }>

export function toOutcome(raw: Settled, maxOutputBytes: number): TransformOutcome {
  const durationMs = raw.ms
  if (raw.k === 'error') return { kind: 'error', error: toError(raw.kind, raw.message, raw.stack), logs: [], durationMs }
  const result = JSON.parse(raw.out) as ScriptResult
  if (result[0] === 'skip') return { kind: 'skip', logs: toLogs(result[1], result[2]), durationMs }
  if (result[0] === 'error') {
    const [, kind, message, stack, rawLogs, dropped] = result
    return { kind: 'error', error: toError(kind, message, stack), logs: toLogs(rawLogs, dropped), durationMs }
  }
  const [, text, json, rawOptions, rawLogs, dropped] = result
  const logs = toLogs(rawLogs, dropped)
  const body = Buffer.from(text, 'utf8')
  if (body.length > maxOutputBytes) {
    return outputError(`the payload is ${body.length} bytes, over the ${maxOutputBytes}-byte limit`, logs, durationMs)
  }
  const options = parseOptions(rawOptions)
  if (typeof options === 'string') return outputError(options, logs, durationMs)
  const payload: Payload = {
    body,
    contentType: options.contentType ?? (json ? JSON_CONTENT_TYPE : TEXT_CONTENT_TYPE),
    headers: options.headers,
    ...(options.url === undefined ? {} : { url: options.url }),
  }
  return { kind: 'payload', payload, logs, durationMs }
}

function toError(kind: TransformErrorKind, message: string, stack: string | undefined): TransformError {
  return {
    // A failed ArrayBuffer allocation is the memory limit seen from inside the script.
    kind: kind === 'runtime' && message === ARRAY_BUFFER_OOM ? 'memory' : kind,
    message: cleanMessage(message),
    ...findPosition(message, stack === '' ? undefined : stack),
  }
}

function outputError(message: string, logs: TransformLog[], durationMs: number): TransformOutcome {
  return { kind: 'error', error: { kind: 'output', message }, logs, durationMs }
}

function toLogs(raw: readonly RawLog[], dropped: number): TransformLog[] {
  const logs: TransformLog[] = raw.map(([level, message]) => ({
    level: (LEVELS.has(level) ? level : 'log') as TransformLogLevel,
    message,
  }))
  if (dropped > 0) {
    logs.push({ level: 'warn', message: `${dropped} more console lines dropped (at most ${MAX_LOG_LINES} are kept per run)` })
  }
  return logs
}

interface PayloadOptions {
  readonly headers: Headers
  readonly url?: string
  readonly contentType?: string
}

/** The options a script gave relay.payload(), or a message saying what is wrong with them. */
function parseOptions(json: string | null): PayloadOptions | string {
  if (json === null) return { headers: {} }
  const value: unknown = JSON.parse(json)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'relay.payload(body, options): options must be an object like { headers, url, contentType }'
  }
  const options = value as Record<string, unknown>
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) return `relay.payload(body, options): unknown option "${name}" (allowed: headers, url, contentType)`
  }
  let contentType: string | undefined
  if (options.contentType !== undefined) {
    if (typeof options.contentType !== 'string' || options.contentType === '' || !HEADER_VALUE.test(options.contentType)) {
      return 'relay.payload(body, options): contentType must be a non-empty string without line breaks'
    }
    contentType = options.contentType
  }
  const headers: Record<string, string> = {}
  if (options.headers !== undefined) {
    if (options.headers === null || typeof options.headers !== 'object' || Array.isArray(options.headers)) {
      return 'relay.payload(body, options): headers must be an object of name: value strings'
    }
    for (const [rawName, rawValue] of Object.entries(options.headers as Record<string, unknown>)) {
      const name = rawName.toLowerCase()
      if (!HEADER_NAME.test(name)) return `relay.payload(body, options): "${rawName}" is not a valid header name`
      if (RESERVED_HEADERS.has(name)) return `relay.payload(body, options): the "${name}" header is set by the relay`
      const headerValue = typeof rawValue === 'number' && Number.isFinite(rawValue) ? String(rawValue) : rawValue
      if (typeof headerValue !== 'string' || !HEADER_VALUE.test(headerValue)) {
        return `relay.payload(body, options): header "${name}" must be a string without line breaks`
      }
      if (name === 'content-type') {
        if (contentType !== undefined && contentType !== headerValue) {
          return 'relay.payload(body, options): content type given twice (contentType and headers["content-type"])'
        }
        contentType = headerValue
        continue
      }
      headers[name] = headerValue
    }
  }
  let url: string | undefined
  if (options.url !== undefined) {
    const parsed = typeof options.url === 'string' && URL.canParse(options.url) ? new URL(options.url) : null
    if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      return 'relay.payload(body, options): url must be an absolute http:// or https:// URL'
    }
    url = parsed.href
  }
  return { headers, ...(contentType === undefined ? {} : { contentType }), ...(url === undefined ? {} : { url }) }
}
