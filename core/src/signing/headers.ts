/**
 * Case-insensitive header lookup over the shapes Node and our tests hand us.
 *
 * Node lowercases incoming header names, but stored events, tests and other callers may
 * not, so names are compared lowercased. A repeated header is reported as such rather
 * than silently picking one copy: a signature check must not depend on which copy won.
 */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>

export type HeaderLookup =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: string }

export function singleHeader(headers: IncomingHeaders, name: string): HeaderLookup {
  const wanted = name.toLowerCase()
  const values: string[] = []
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue
    if (typeof value === 'string') values.push(value)
    else values.push(...value)
  }
  const present = values.map((v) => v.trim()).filter((v) => v !== '')
  if (present.length === 0) return { ok: false, reason: `missing header ${wanted}` }
  if (present.length > 1) return { ok: false, reason: `more than one ${wanted} header` }
  return { ok: true, value: present[0] as string }
}
