/**
 * Grows a payload to a target size the way real payloads grow: by adding more of the
 * items the provider's shape already has (commits, invoice lines, message attachments),
 * never by a padding field a real sender would not send.
 */
import { randomBytes, randomUUID } from 'node:crypto'

/** The three sizes the scenarios use: a typical small event, a busy one, a very large one. */
export const SIZES = { '1k': 1024, '10k': 10 * 1024, '100k': 100 * 1024 } as const
export type SizeName = keyof typeof SIZES

/**
 * Appends `make(i)` to `list` while the serialised document stays at or under `target`
 * bytes (always at least `min` items). `measure` serialises the whole document; it is
 * called once, then each item's own length is added, so filling is linear.
 */
export function fillTo<T>(target: number, measure: () => number, list: T[], make: (i: number) => T, min = 0, max = Infinity): void {
  let size = measure()
  for (let i = list.length; list.length < max; i++) {
    const item = make(i)
    const grow = Buffer.byteLength(JSON.stringify(item)) + (list.length > 0 ? 1 : 0)
    if (list.length >= min && size + grow > target) break
    list.push(item)
    size += grow
  }
}

export const hex = (bytes: number) => randomBytes(bytes).toString('hex')
/** Stripe- and Slack-style ids: a prefix and random base62-ish characters. */
export const alnum = (n: number) => randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n)
export const uuid = () => randomUUID()

const WORDS = 'fix update add remove refactor handle retry queue cache config worker ingest deliver schema test docs bump parser client server timeout signature stream'.split(' ')
/** A short commit-message-like phrase. */
export function phrase(words: number): string {
  const out: string[] = []
  for (let i = 0; i < words; i++) out.push(WORDS[(randomBytes(1)[0] ?? 0) % WORDS.length]!)
  return out.join(' ')
}
