/**
 * Bar charts as inline SVG, drawn on the server: no script, no chart library, nothing
 * the CSP has to allow. Colours come from classes in ui.css, every bar carries a <title>
 * (the browser's tooltip, and what a screen reader reads), and the chart's <desc> sums
 * it up in words.
 */

export interface ChartSeries {
  readonly name: string
  /** A class of ui.css that colours the series: ok, bad, info. */
  readonly cls: string
}

export interface ChartBar {
  /** Start of the step, ms. */
  readonly at: number
  /** One value per series, stacked bottom up. */
  readonly values: readonly number[]
}

export interface BarChart {
  readonly title: string
  /** What one value counts, for titles: "events", "attempts". */
  readonly unit: string
  readonly series: readonly ChartSeries[]
  readonly bars: readonly ChartBar[]
  readonly stepMs: number
}

const W = 720
const H = 170
const LEFT = 44
const BOTTOM = 20
const TOP = 8
const PLOT_W = W - LEFT - 4
const PLOT_H = H - TOP - BOTTOM

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** HH:MM UTC, the clock the rest of the UI shows. */
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16)

/** The smallest 1, 2 or 5 times a power of ten at or above `n`: a round top for the axis. */
export function niceCeiling(n: number): number {
  if (n <= 1) return 1
  const p = 10 ** Math.floor(Math.log10(n))
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p
  return 10 * p
}

const stepName = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`)

export function barChart(c: BarChart): string {
  const totals = c.bars.map((b) => b.values.reduce((a, v) => a + v, 0))
  const peak = Math.max(0, ...totals)
  const top = niceCeiling(peak)
  const slot = PLOT_W / Math.max(1, c.bars.length)
  const barW = Math.max(1, slot - (slot > 4 ? 1 : 0))
  const y = (v: number) => (v / top) * PLOT_H
  const sum = totals.reduce((a, v) => a + v, 0)
  const per = stepName(c.stepMs)
  const desc =
    sum === 0
      ? `No ${c.unit} in this window.`
      : `${sum} ${c.unit} in all; the busiest ${per} had ${peak}. ` +
        c.series.map((s, i) => `${s.name}: ${c.bars.reduce((a, b) => a + (b.values[i] ?? 0), 0)}`).join(', ') + '.'
  const parts: string[] = []
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(c.title)}"><title>${esc(c.title)}</title><desc>${esc(desc)}</desc>`)
  for (const v of [0, top / 2, top]) {
    const yy = TOP + PLOT_H - y(v)
    parts.push(`<line class="grid" x1="${LEFT}" x2="${W - 4}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}"/>`)
    // Counts are whole: a middle line at 2.5 gets no label.
    if (Number.isInteger(v)) parts.push(`<text class="axis" x="${LEFT - 6}" y="${(yy + 4).toFixed(1)}" text-anchor="end">${formatCount(v)}</text>`)
  }
  c.bars.forEach((b, i) => {
    if (totals[i] === 0) return
    const x = LEFT + i * slot
    let base = TOP + PLOT_H
    const label = `${clock(b.at)}–${clock(b.at + c.stepMs)} UTC: ` + c.series.map((s, k) => `${b.values[k] ?? 0} ${s.name}`).join(', ')
    parts.push(`<g><title>${esc(label)}</title>`)
    c.series.forEach((s, k) => {
      const h = y(b.values[k] ?? 0)
      if (h <= 0) return
      base -= h
      parts.push(`<rect class="${esc(s.cls)}" x="${x.toFixed(1)}" y="${base.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}"/>`)
    })
    parts.push('</g>')
  })
  if (c.bars.length > 0) {
    const marks = [0, Math.floor(c.bars.length / 2), c.bars.length - 1]
    for (const [n, i] of marks.entries()) {
      const anchor = n === 0 ? 'start' : n === 1 ? 'middle' : 'end'
      const x = n === 2 ? W - 4 : LEFT + i * slot + (n === 1 ? slot / 2 : 0)
      parts.push(`<text class="axis" x="${x.toFixed(1)}" y="${H - 4}" text-anchor="${anchor}">${clock(c.bars[i]!.at)}</text>`)
    }
  }
  if (sum === 0) parts.push(`<text class="axis" x="${LEFT + PLOT_W / 2}" y="${TOP + PLOT_H / 2}" text-anchor="middle">No ${esc(c.unit)} in this window</text>`)
  parts.push('</svg>')
  return parts.join('')
}

/** 950, 1.2k, 35k, 1.5M: axis labels stay short. */
export function formatCount(n: number): string {
  if (n < 1000) return String(Math.round(n * 10) / 10)
  if (n < 1_000_000) return `${Math.round(n / 100) / 10}k`
  return `${Math.round(n / 100_000) / 10}M`
}
