/**
 * JSON parsing for anything an accepted payload reaches: the event view plugins and
 * transforms see, templates, the UI's inspector. JSON.parse itself copes with any depth,
 * but what comes after it does not: JSON.stringify, structuredClone, the hand-off to the
 * transform sandbox, nunjucks and the UI's tree all recurse and throw RangeError from
 * about 5,000 levels (Node 24, default stack). So a body nested deeper than
 * MAX_JSON_DEPTH is treated as text everywhere: shown raw, handed to a transform as a
 * string, delivered as received. The depth is measured before parsing, by a scan with
 * no recursion, so a hostile body costs one pass over its bytes.
 */

/** Deepest nesting treated as JSON; no real webhook comes near it, and every recursive consumer survives it with room. */
export const MAX_JSON_DEPTH = 1000

const OPEN_OBJECT = 0x7b
const OPEN_ARRAY = 0x5b
const CLOSE_OBJECT = 0x7d
const CLOSE_ARRAY = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/** The deepest nesting of objects and arrays in `text` (brackets inside strings do not count). */
export function jsonDepth(text: string): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) inString = true
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > deepest) deepest = depth
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--
  }
  return deepest
}

export type JsonParse =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'invalid' | 'too-deep' }

/** The parsed value, or why the text stays text. */
export function parseJsonWithin(input: string | Buffer, maxDepth = MAX_JSON_DEPTH): JsonParse {
  const text = typeof input === 'string' ? input : input.toString('utf8')
  if (jsonDepth(text) > maxDepth) return { ok: false, reason: 'too-deep' }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false, reason: 'invalid' }
  }
}

/**
 * The rule for an event's or payload's body: parsed when it has no content type or a JSON
 * one, within MAX_JSON_DEPTH; otherwise undefined. Event views, templates and the plugin
 * test harness all decide with this.
 */
export function jsonOfBody(contentType: string | null, body: Buffer): unknown {
  return !contentType || /json/i.test(contentType) ? parseJsonOrUndefined(body) : undefined
}

/** The parsed value, or undefined when the text is not JSON or too deeply nested to treat as JSON. */
export function parseJsonOrUndefined(input: string | Buffer, maxDepth = MAX_JSON_DEPTH): unknown {
  const r = parseJsonWithin(input, maxDepth)
  return r.ok ? r.value : undefined
}
