/** Stream entries as the relay reads them: an id and its fields (d, e, tp). */
export interface StreamEntry {
  readonly id: string
  readonly fields: Record<string, string>
}

/** Parses the [id, [k, v, k, v…]] pairs XREADGROUP, XAUTOCLAIM and XCLAIM return. */
export function toEntries(raw: [string, string[]][] | null | undefined): StreamEntry[] {
  if (!raw) return []
  const out: StreamEntry[] = []
  for (const item of raw) {
    if (!item) continue
    const [id, flat] = item
    const fields: Record<string, string> = {}
    for (let i = 0; flat && i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
    out.push({ id, fields })
  }
  return out
}
