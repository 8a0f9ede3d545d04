/**
 * Which config values are secrets, as a manifest declares them (`secrets`): a top-level
 * field (`"password"`), or every value of a map field (`"headers.*"`: each header value,
 * since any of them may be an Authorization or an API key). One walker serves sealing
 * at rest, opening for the worker and masking on read, so the three cannot disagree.
 */

import type { SecretField } from '@webhook-relay/plugin-sdk'

export type { SecretField }

export interface SecretSlot {
  /** The object holding the value (a copy: changing it does not change the input). */
  readonly holder: Record<string, unknown>
  readonly key: string
  /** The same slot in another config of the same shape (the stored one, on an edit). */
  readonly path: readonly [string] | readonly [string, string]
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A shallow copy of `config` (maps named by `field.*` copied too) and every secret slot in
 * it that holds a value.
 */
export function secretSlots(config: Record<string, unknown>, secrets: readonly string[]): { copy: Record<string, unknown>; slots: SecretSlot[] } {
  const copy: Record<string, unknown> = { ...config }
  const slots: SecretSlot[] = []
  for (const s of secrets) {
    if (s.endsWith('.*')) {
      const field = s.slice(0, -2)
      const map = copy[field]
      if (!isRecord(map)) continue
      const holder = { ...map }
      copy[field] = holder
      for (const key of Object.keys(holder)) if (holder[key] !== undefined) slots.push({ holder, key, path: [field, key] })
    } else if (copy[s] !== undefined) {
      slots.push({ holder: copy, key: s, path: [s] })
    }
  }
  return { copy, slots }
}

/** The value at a slot's path in another config (the stored one), if any. */
export function valueAt(config: Record<string, unknown> | undefined, path: SecretSlot['path']): unknown {
  if (!config) return undefined
  const first = config[path[0]]
  if (path.length === 1) return first
  return isRecord(first) ? first[path[1]] : undefined
}
