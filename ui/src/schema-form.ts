/**
 * Forms drawn from a plugin's TypeBox config schema (plain JSON Schema underneath):
 * one field per top-level property, the submitted strings turned back into typed
 * values, and the validator's errors mapped to the field they belong to, so the page
 * can show each error next to its input. Secret fields render as password inputs that
 * never carry the stored value: they show the mask, which the core reads as "keep".
 */
import Compile from 'typebox/compile'
import type { Validator } from 'typebox/compile'
import type { TSchema } from 'typebox'
import { MASK } from '@webhook-relay/core/admin'

type Json = Record<string, unknown>

export type FieldKind = 'text' | 'url' | 'number' | 'checkbox' | 'select' | 'json' | 'secret'

export interface Field {
  readonly name: string
  /** The form input name: `<prefix>.<property>`. */
  readonly input: string
  readonly label: string
  readonly kind: FieldKind
  readonly required: boolean
  readonly description: string | undefined
  readonly options: readonly string[]
  readonly placeholder: string
  /** What the input shows: a string for text-like inputs, a boolean for a checkbox. */
  readonly value: string | boolean
  readonly error: string | undefined
}

/** Field errors by property name; '' holds errors about the object as a whole. */
export type FieldErrors = Record<string, string>

const props = (schema: Json) => (schema.properties ?? {}) as Record<string, Json>
const requiredOf = (schema: Json) => new Set((schema.required ?? []) as string[])

/** 'timeoutMs' -> 'Timeout ms'; 'webhookUrl' -> 'Webhook URL'. */
function labelOf(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase()
  const label = words.charAt(0).toUpperCase() + words.slice(1)
  return label.replace(/\b(url|uri|id|http|smtp|api)\b/gi, (w) => w.toUpperCase())
}

/** The choices of a union of literals or an enum, or null when the schema is neither. */
function choicesOf(s: Json): string[] | null {
  if (Array.isArray(s.enum)) return s.enum.map(String)
  const union = (s.anyOf ?? s.oneOf) as Json[] | undefined
  if (union && union.every((o) => 'const' in o)) return union.map((o) => String(o.const))
  return null
}

function kindOf(s: Json, secret: boolean): FieldKind {
  if (secret) return 'secret'
  if (choicesOf(s)) return 'select'
  if (s.type === 'boolean') return 'checkbox'
  if (s.type === 'integer' || s.type === 'number') return 'number'
  if (s.type === 'string') return s.format === 'uri' ? 'url' : 'text'
  return 'json'
}

export function describeFields(
  schema: TSchema,
  opts: { prefix: string; secrets: readonly string[]; values: Json; errors: FieldErrors; omit?: readonly string[]; hasStored?: boolean },
): Field[] {
  const s = schema as unknown as Json
  const required = requiredOf(s)
  return Object.entries(props(s))
    .filter(([name]) => !opts.omit?.includes(name))
    .map(([name, p]) => {
      const secret = opts.secrets.includes(name)
      const kind = kindOf(p, secret)
      const v = opts.values[name]
      let value: string | boolean
      if (kind === 'checkbox') value = v === undefined ? p.default === true : v === true || v === 'on'
      else if (kind === 'secret') value = opts.hasStored && (v === undefined || v === MASK) ? MASK : typeof v === 'string' ? v : ''
      else if (kind === 'json') value = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v, null, 2)
      else value = v === undefined || v === null ? '' : String(v)
      return {
        name,
        input: `${opts.prefix}.${name}`,
        label: labelOf(name),
        kind,
        required: required.has(name),
        description: typeof p.description === 'string' ? p.description : undefined,
        options: choicesOf(p) ?? [],
        placeholder: p.default === undefined ? '' : `default: ${typeof p.default === 'object' ? JSON.stringify(p.default) : String(p.default)}`,
        value,
        error: opts.errors[name],
      }
    })
}

/**
 * Turns submitted strings into the values the schema expects. Empty optional fields are
 * left out so defaults apply; text that does not parse stays text, so the validator
 * reports it against the right field rather than this function guessing.
 */
export function readForm(schema: TSchema, body: Record<string, unknown>, prefix: string): { values: Json; errors: FieldErrors } {
  const s = schema as unknown as Json
  const values: Json = {}
  const errors: FieldErrors = {}
  for (const [name, p] of Object.entries(props(s))) {
    const raw = body[`${prefix}.${name}`]
    const text = typeof raw === 'string' ? raw : Array.isArray(raw) ? String(raw.at(-1)) : undefined
    const kind = kindOf(p, false)
    if (kind === 'checkbox') {
      if (text !== undefined || requiredOf(s).has(name)) values[name] = text === 'on' || text === 'true'
      continue
    }
    if (text === undefined || text.trim() === '') continue
    if (kind === 'number') {
      const n = Number(text.trim())
      values[name] = Number.isFinite(n) ? n : text
    } else if (kind === 'json') {
      try {
        values[name] = JSON.parse(text)
      } catch {
        errors[name] = 'must be valid JSON'
      }
    } else values[name] = text
  }
  return { values, errors }
}

const validators = new WeakMap<object, Validator>()

function humanize(e: { keyword: string; message: string; params: Record<string, unknown> }, p: Json | undefined): string {
  if (e.keyword === 'format') return `must be a valid ${String(e.params.format) === 'uri' ? 'URL' : String(e.params.format)}`
  if (e.keyword === 'pattern') return p?.description ? `is not accepted here: ${String(p.description)}` : 'has an invalid format'
  if (e.keyword === 'propertyNames' || (e.keyword === 'pattern' && !p)) return 'has an invalid name'
  return e.message
}

/** Validates against the schema; returns errors by top-level property ('' for the object). */
export function validate(schema: TSchema, values: Json): FieldErrors {
  let v = validators.get(schema)
  if (!v) validators.set(schema, (v = Compile(schema)))
  if (v.Check(values)) return {}
  const s = schema as unknown as Json
  const errors: FieldErrors = {}
  for (const e of v.Errors(values)) {
    const params = e.params as Record<string, unknown>
    if (e.keyword === 'required') {
      for (const name of (params.requiredProperties ?? []) as string[]) errors[name] ??= 'is required'
      continue
    }
    if (e.keyword === 'additionalProperties' || e.keyword === 'boolean') continue
    const name = e.instancePath.split('/')[1] ?? ''
    errors[name] ??= humanize(e as never, props(s)[name])
  }
  if (Object.keys(errors).length === 0) errors[''] = 'the configuration is not valid'
  return errors
}
