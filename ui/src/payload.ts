/**
 * Views of a stored body for the payload inspector: a JSON tree whose objects and
 * arrays fold (<details>, so folding needs no script), and a hex dump of the raw bytes.
 * Everything returned as HTML is escaped here, because nunjucks will not touch it.
 */
import { parseJsonWithin, type JsonParse } from '@webhook-relay/core/admin'

export const MAX_TREE_NODES = 5000
export const MAX_HEX_BYTES = 64 * 1024

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function scalar(v: unknown): string {
  if (v === null) return '<span class="j-null">null</span>'
  if (typeof v === 'string') return `<span class="j-str">${escapeHtml(JSON.stringify(v))}</span>`
  if (typeof v === 'number') return `<span class="j-num">${String(v)}</span>`
  if (typeof v === 'boolean') return `<span class="j-bool">${String(v)}</span>`
  return escapeHtml(String(v))
}

/** Foldable HTML for a parsed JSON value; large documents fold below the first levels. */
export function jsonTree(value: unknown): string {
  let budget = MAX_TREE_NODES
  const walk = (v: unknown, key: string | null, depth: number): string => {
    budget--
    const label = key === null ? '' : `<span class="j-key">${escapeHtml(JSON.stringify(key))}</span>: `
    if (v === null || typeof v !== 'object') return `<div class="j-line">${label}${scalar(v)}</div>`
    const isArray = Array.isArray(v)
    const entries: [string | null, unknown][] = isArray ? v.map((x) => [null, x]) : Object.entries(v)
    const [open, close] = isArray ? ['[', ']'] : ['{', '}']
    if (entries.length === 0) return `<div class="j-line">${label}${open}${close}</div>`
    if (budget <= 0) return `<div class="j-line">${label}${open} … ${close} <span class="muted">(too large to show; see raw)</span></div>`
    const inner = entries.map(([k, x]) => walk(x, k, depth + 1)).join('')
    const count = `<span class="muted">${entries.length} ${isArray ? (entries.length === 1 ? 'item' : 'items') : entries.length === 1 ? 'key' : 'keys'}</span>`
    return `<details class="j-node"${depth < 3 ? ' open' : ''}><summary>${label}${open} ${count}</summary><div class="j-children">${inner}</div><div class="j-line">${close}</div></details>`
  }
  return walk(value, null, 0)
}

/** The body parsed as JSON, or why it is shown as text only (not JSON, or nested too deep to walk). */
export function parseJson(body: Buffer): JsonParse {
  return parseJsonWithin(body)
}

/** Pretty-printed JSON for reading, or the text as it is when it is not JSON or too deep. */
export function prettyIfJson(text: string): string {
  const r = parseJsonWithin(text)
  return r.ok ? JSON.stringify(r.value, null, 2) : text
}

/** `offset  hex bytes  ascii` lines, 16 bytes each, like `xxd`. */
export function hexDump(body: Buffer, max = MAX_HEX_BYTES): string {
  const lines: string[] = []
  const end = Math.min(body.length, max)
  for (let off = 0; off < end; off += 16) {
    const chunk = body.subarray(off, Math.min(off + 16, end))
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`)
  }
  if (body.length > end) lines.push(`… ${body.length - end} more bytes`)
  return lines.join('\n')
}

/** Text for the raw view: UTF-8 when valid, otherwise a note that only hex is meaningful. */
export function rawText(body: Buffer): string | null {
  const text = body.toString('utf8')
  return Buffer.byteLength(text) === body.length && !text.includes('\uFFFD') ? text : null
}
