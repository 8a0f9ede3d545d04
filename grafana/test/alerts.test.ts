import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ruleGroups } from '../src/alerts/rules.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const runbook = readFileSync(join(ROOT, 'docs', 'observability.md'), 'utf8')
const testsDir = join(ROOT, 'grafana', 'alerts', 'tests')
const tests = readdirSync(testsDir).map((f) => readFileSync(join(testsDir, f), 'utf8')).join('\n')
/** GitHub's heading anchors: lower case, spaces to dashes, most punctuation dropped. */
const anchors = new Set([...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) => (m[1] as string).toLowerCase().replace(/[^\w\s-]/g, '').replace(/\s/g, '-')))

for (const rule of ruleGroups.flatMap((g) => g.rules)) {
  t.test(rule.alert, async (t) => {
    t.match(rule.labels.severity, /^(warning|critical)$/)
    t.ok(rule.annotations.summary.length > 0 && rule.annotations.description.length > 0, 'has summary and description')
    const anchor = rule.annotations.runbook_url.split('#')[1] ?? ''
    t.ok(rule.annotations.runbook_url.includes('docs/observability.md#'), 'runbook points into docs/observability.md')
    t.ok(anchors.has(anchor), `docs/observability.md has a section #${anchor}`)
    const firing = new RegExp(`alertname: ${rule.alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`)
    const quiet = new RegExp(`alertname: ${rule.alert}\\n\\s+exp_alerts: \\[\\]`)
    t.match(tests, firing, 'a promtool test expects it to fire')
    t.match(tests, quiet, 'a promtool test expects it to stay quiet')
  })
}
