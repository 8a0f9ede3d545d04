/**
 * Recipients named in the payload, at a config path such as `customer.email` or
 * `$.owners[0]`: a string (one address, or several separated by commas) or an array of
 * strings. Every address must be plain: a payload must not be able to add headers or
 * display names.
 */
import { ADDRESS_PATTERN, MAX_RECIPIENTS } from './config.ts'

const ADDRESS = new RegExp(ADDRESS_PATTERN)

export class RecipientsError extends Error {
  override name = 'RecipientsError'
}

function lookup(root: unknown, path: string): unknown {
  const steps = path.replace(/^\$\./, '').match(/[^.[\]]+|\[\d+\]/g) ?? []
  let at: unknown = root
  for (const step of steps) {
    if (at === null || typeof at !== 'object') return undefined
    const key = step.startsWith('[') ? Number(step.slice(1, -1)) : step
    at = Array.isArray(at) && typeof key === 'number' ? at[key] : (at as Record<string, unknown>)[String(key)]
  }
  return at
}

export function recipientsAt(payload: unknown, path: string): string[] {
  const found = lookup(payload, path)
  const list = typeof found === 'string' ? found.split(',') : Array.isArray(found) ? found : []
  const out: string[] = []
  for (const entry of list) {
    if (typeof entry !== 'string') throw new RecipientsError(`recipientsPath ${path}: expected strings, found ${JSON.stringify(entry)}`)
    const address = entry.trim()
    if (address === '') continue
    if (!ADDRESS.test(address) || address.length > 254) throw new RecipientsError(`recipientsPath ${path}: "${address.slice(0, 100)}" is not an email address`)
    out.push(address)
  }
  if (out.length === 0) throw new RecipientsError(`recipientsPath ${path}: no address in the payload`)
  if (out.length > MAX_RECIPIENTS) throw new RecipientsError(`recipientsPath ${path}: ${out.length} addresses; at most ${MAX_RECIPIENTS}`)
  return out
}
