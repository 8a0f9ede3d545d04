/** Human durations for configuration: `250ms`, `5s`, `30m`, `2h`, `1d`, or a bare number of ms. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text)
  if (!m) throw new Error(`"${text}" is not a duration such as 500ms, 5s, 30m, 2h or 1d`)
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!)
}

export function parseDurationList(text: string): number[] {
  const list = text.split(',').filter((s) => s.trim() !== '').map(parseDuration)
  if (list.length === 0) throw new Error('needs at least one duration')
  return list
}
