/**
 * The soak run as an SVG: database size, rows in events, and ingest p99 per minute, one
 * panel each on a shared time axis. Plain SVG so docs/performance.md shows it anywhere.
 */
export interface SoakMinute {
  minute: number
  deliveredPerS: number
  ingestP99Ms: number
  success: number
  dbBytes: number
  eventsRows: number
  oldestS: number
  deadTuples: number
  partitions: number
  cpuPer1k: number
  load: number
}

const W = 760
const PANEL_H = 150
const LEFT = 70
const RIGHT = 20
const TOP = 40

function panel(rows: readonly SoakMinute[], y0: number, label: string, value: (r: SoakMinute) => number, format: (v: number) => string, colour: string): string {
  const max = Math.max(1e-9, ...rows.map(value)) * 1.1
  const lastMinute = Math.max(1, rows.at(-1)?.minute ?? 1)
  const x = (m: number) => LEFT + ((m - 0) / lastMinute) * (W - LEFT - RIGHT)
  const y = (v: number) => y0 + PANEL_H - (v / max) * PANEL_H
  const points = rows.map((r) => `${x(r.minute).toFixed(1)},${y(value(r)).toFixed(1)}`).join(' ')
  const ticks = [0, 0.5, 1].map((f) => {
    const v = max * f
    return `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${format(v)}</text>`
  })
  return `<text x="${LEFT}" y="${y0 - 8}" font-size="13" font-weight="bold">${label}</text>${ticks.join('')}
<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`
}

export function soakSvg(rows: readonly SoakMinute[], title: string): string {
  const panels = [
    panel(rows, TOP + 20, 'database size (MB)', (r) => r.dbBytes / 1048576, (v) => v.toFixed(0), '#1f77b4'),
    panel(rows, TOP + 20 + (PANEL_H + 50), 'rows in events (thousands)', (r) => r.eventsRows / 1000, (v) => v.toFixed(0), '#2ca02c'),
    panel(rows, TOP + 20 + 2 * (PANEL_H + 50), 'ingest p99 (ms)', (r) => r.ingestP99Ms, (v) => v.toFixed(0), '#d62728'),
  ]
  const height = TOP + 20 + 3 * (PANEL_H + 50)
  const lastMinute = Math.max(1, rows.at(-1)?.minute ?? 1)
  const axis = Array.from({ length: 6 }, (_, i) => Math.round((lastMinute * i) / 5)).map((m) => {
    const x = LEFT + (m / lastMinute) * (W - LEFT - RIGHT)
    return `<text x="${x}" y="${height - 12}" text-anchor="middle" font-size="11">${m} min</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">Soak: ${title}</text>
${panels.join('\n')}
${axis.join('')}
</svg>
`
}
