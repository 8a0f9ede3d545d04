/**
 * `node core/bench/template-budget.ts`: how long one template render can hold the
 * worker's event loop, with the budget (plugin/template-budget.ts) and with plain
 * nunjucks, side by side in one run; and what the metering costs an ordinary template.
 *
 * Plain nunjucks runs in a child process per case (the budget's hooks are installed on
 * nunjucks' runtime for the whole process once the template kit is imported), stopped
 * after PLAIN_LIMIT_MS: a hostile template may never finish there, or exhaust memory.
 */
import { spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'

const PLAIN_LIMIT_MS = 10_000
const ORDINARY_RUNS = 300

const items = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] }))
const body = JSON.stringify({ items })

const CASES: readonly (readonly [name: string, source: string])[] = [
  ['ordinary: a line per item (1,000)', '{% for i in payload.items %}{{ i.name | upper }} #{{ loop.index }}\n{% endfor %}'],
  ['nested loop, 1,000 x 1,000', '{% for a in payload.items %}{% for b in payload.items %}{% endfor %}{% endfor %}'],
  ['nested loop with output', '{% for a in payload.items %}{% for b in payload.items %}{{ a.id }}-{{ b.id }} {% endfor %}{% endfor %}'],
  ['range(100,000,000)', '{% for i in range(100000000) %}{% endfor %}'],
  ['string doubled 30 times', '{% set s = "x" %}{% for i in range(30) %}{% set s = s + s %}{% endfor %}{{ s | length }}'],
  ['dump of the payload x 2,000', '{% for i in range(2000) %}{{ payload | dump }}{% endfor %}'],
]

const here = fileURLToPath(import.meta.url)

if (process.argv[2] === 'plain') {
  // Child: plain nunjucks, no budget.
  const { default: nunjucks } = await import('nunjucks')
  const [, source] = CASES[Number(process.argv[3])]!
  const env = new nunjucks.Environment([], { autoescape: false })
  const template = new nunjucks.Template(source, env, undefined, true)
  const context = { payload: JSON.parse(body) as unknown, body }
  const runs = Number(process.argv[4] ?? 1)
  template.render(context)
  const started = performance.now()
  for (let i = 0; i < runs; i++) template.render(context)
  process.stdout.write(String((performance.now() - started) / runs))
  process.exit(0)
}

const { createTemplates, templateContext, TEMPLATE_BUDGET } = await import('@webhook-relay/plugin-sdk/template')
const templates = createTemplates()
const context = templateContext({
  event: { id: 'e', sourceId: 's', sourceSlug: 'bench', receivedAt: new Date(), contentType: 'application/json', headers: {} },
  payload: { contentType: 'application/json', body: Buffer.from(body) },
  delivery: { id: 'd', webhookId: 'w', attempt: 1 },
} as never)

function plain(index: number, runs: number): string {
  const started = performance.now()
  const r = spawnSync(process.execPath, [here, 'plain', String(index), String(runs)], { timeout: PLAIN_LIMIT_MS, encoding: 'utf8', maxBuffer: 1 << 20 })
  if (r.status === 0) return `${Number(r.stdout).toFixed(1)} ms`
  if (r.signal === 'SIGTERM') return `> ${PLAIN_LIMIT_MS / 1000} s (stopped)`
  return /heap out of memory|Invalid string length|Invalid array length/.test(r.stderr) ? `out of memory after ${((performance.now() - started) / 1000).toFixed(1)} s` : `failed: ${r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.status}`
}

function metered(source: string, runs: number): string {
  let outcome = 'rendered'
  try {
    templates.render('warm', source, context) // compile once, as the worker's cache does
  } catch {
    // measured below
  }
  const started = performance.now()
  for (let i = 0; i < runs; i++) {
    try {
      templates.render('bench', source, context)
    } catch (err) {
      outcome = (err as Error).message.replace(/^template bench was stopped: /, 'stopped: ').replace(/;.*$/, '')
    }
  }
  return `${((performance.now() - started) / runs).toFixed(1)} ms, ${outcome}`
}

console.log(`template budget: ${TEMPLATE_BUDGET.steps.toLocaleString('en')} steps, ${TEMPLATE_BUDGET.millis} ms, ${TEMPLATE_BUDGET.outputChars.toLocaleString('en')} characters`)
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
console.log(`${'template'.padEnd(36)} ${'plain nunjucks'.padEnd(30)} with the budget`)
CASES.forEach(([name, source], i) => {
  const runs = i === 0 ? ORDINARY_RUNS : 1
  console.log(`${name.padEnd(36)} ${plain(i, runs).padEnd(30)} ${metered(source, runs)}`)
})
console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
