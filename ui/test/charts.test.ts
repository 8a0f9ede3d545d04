// Server-drawn charts: round axis tops, one bar per step with its own tooltip, stacked
// series, escaped text, and words for an empty window.
import t from 'tap'
import { barChart, formatCount, niceCeiling } from '../src/charts.ts'

const minute = 60_000
const start = Date.UTC(2026, 11, 3, 12, 0)
const bars = (values: number[][]) => values.map((v, i) => ({ at: start + i * minute, values: v }))

t.test('axis tops are 1, 2 or 5 times a power of ten', async (t) => {
  t.same([0, 1, 3, 7, 10, 11, 199, 4500].map(niceCeiling), [1, 1, 5, 10, 10, 20, 200, 5000])
  t.same([950, 1234, 35_000, 1_500_000].map(formatCount), ['950', '1.2k', '35k', '1.5M'])
})

t.test('each step is a bar with a tooltip; series stack bottom up', async (t) => {
  const svg = barChart({
    title: 'Delivery attempts per minute',
    unit: 'attempts',
    series: [{ name: 'succeeded', cls: 'ok' }, { name: 'failed', cls: 'bad' }],
    bars: bars([[3, 1], [0, 0], [5, 0]]),
    stepMs: minute,
  })
  t.match(svg, /^<svg class="chart" viewBox="0 0 \d+ \d+" role="img" aria-label="Delivery attempts per minute">/)
  t.match(svg, /<desc>9 attempts in all; the busiest 1 min had 5\. succeeded: 8, failed: 1\.<\/desc>/)
  t.equal(svg.match(/<g><title>/g)?.length, 2, 'an empty step draws no bar')
  t.match(svg, /<title>12:00–12:01 UTC: 3 succeeded, 1 failed<\/title><rect class="ok"[^>]*\/><rect class="bad"/)
  t.match(svg, /<title>12:02–12:03 UTC: 5 succeeded, 0 failed<\/title><rect class="ok"[^>]*\/><\/g>/, 'a zero series draws nothing')
  const heights = [...svg.matchAll(/<rect class="ok" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((m) => Number(m[2]))
  t.ok(Math.abs(heights[1]! / heights[0]! - 5 / 3) < 0.01, 'heights follow the values')
  t.match(svg, /text-anchor="end">5<\/text>/, 'the axis tops at the peak when it is round')
  t.notMatch(svg, />2\.5</, 'no fractional count on the axis')
  t.match(svg, />12:00<\/text>/)
  t.match(svg, />12:02<\/text>/)
})

t.test('text is escaped, and an empty window says so', async (t) => {
  const svg = barChart({ title: '<script>alert(1)</script>', unit: 'events', series: [{ name: 'e"v', cls: 'info' }], bars: bars([[0], [0]]), stepMs: 15 * minute })
  t.notMatch(svg, /<script>/)
  t.match(svg, /&#60;script&#62;/)
  t.match(svg, /No events in this window/)
  t.match(svg, /<desc>No events in this window\.<\/desc>/)
})
