import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { render } from '../src/generate.ts'
import type { Dashboard, Panel } from '../src/grafana/types.ts'
import type { QueryEntry } from '../src/query-list.ts'

const GRAFANA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Variables Grafana defines itself. */
const BUILTIN_VARIABLES = new Set(['__rate_interval', '__interval', '__range', '__from', '__to', '__all', '__field', '__value', '__series', '__data'])

const dashboardFiles = readdirSync(join(GRAFANA_DIR, 'dashboards')).filter((f) => f.endsWith('.json'))
const dashboards = dashboardFiles.map((f) => ({ file: f, json: JSON.parse(readFileSync(join(GRAFANA_DIR, 'dashboards', f), 'utf8')) as Dashboard }))
const queries = JSON.parse(readFileSync(join(GRAFANA_DIR, 'generated', 'queries.json'), 'utf8')) as QueryEntry[]

const allPanels = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])])
const variablesIn = (text: string): string[] =>
  [...text.matchAll(/\$\{(\w+)(?:[:.][^}]*)?\}|\$(\w+)/g)].map((m) => (m[1] ?? m[2]) as string)
const linksOf = (panels: readonly Panel[]) => panels.flatMap((p) => ((p.fieldConfig?.defaults.links ?? []) as { url: string; title: string }[]))

t.test('committed dashboards, rules and query list match the generator', async (t) => {
  for (const [name, content] of render()) {
    t.equal(readFileSync(join(GRAFANA_DIR, name), 'utf8'), content, `${name} is up to date (run node grafana/src/generate.ts)`)
  }
  t.same(dashboardFiles.sort(), [...render().keys()].filter((k) => k.startsWith('dashboards/')).map((k) => k.slice('dashboards/'.length)).sort(), 'no stray dashboard files')
})

for (const { file, json: d } of dashboards) {
  t.test(`${file} is a well-formed dashboard`, async (t) => {
    t.match(d, { uid: /^[a-z0-9-]{1,40}$/, title: String, schemaVersion: Number, panels: Array, templating: { list: Array } })
    t.equal(`${d.uid}.json`, file, 'file is named after the uid')

    const panels = allPanels(d.panels)
    const ids = panels.map((p) => p.id)
    t.equal(new Set(ids).size, ids.length, 'panel ids are unique')
    t.ok(panels.every((p) => Number.isInteger(p.id) && p.id > 0), 'panel ids are positive integers')

    for (const p of panels) {
      const { x, y, w, h } = p.gridPos
      t.ok(x >= 0 && w > 0 && h > 0 && x + w <= 24 && y >= 0, `panel ${p.id} "${p.title}" fits the 24-column grid`)
    }
    // No two panels may cover the same grid cell.
    const cells = new Set<string>()
    let overlaps = 0
    for (const p of panels) {
      for (let cx = p.gridPos.x; cx < p.gridPos.x + p.gridPos.w; cx++) {
        for (let cy = p.gridPos.y; cy < p.gridPos.y + p.gridPos.h; cy++) {
          const key = `${cx},${cy}`
          if (cells.has(key)) overlaps++
          cells.add(key)
        }
      }
    }
    t.equal(overlaps, 0, 'panels do not overlap')

    const variables = d.templating.list
    const defined = new Set(variables.map((v) => v.name))
    const datasourceVars = new Map(variables.filter((v) => v.type === 'datasource').map((v) => [v.name, v.query]))
    t.equal(defined.size, variables.length, 'variable names are unique')

    for (const p of panels.filter((p) => p.type !== 'row')) {
      t.ok(p.targets && p.targets.length > 0, `panel ${p.id} "${p.title}" has queries`)
      const refIds = (p.targets ?? []).map((x) => x.refId)
      t.equal(new Set(refIds).size, refIds.length, `panel ${p.id} refIds are unique`)
      for (const ds of [p.datasource, ...(p.targets ?? []).map((x) => x.datasource)]) {
        const name = /^\$\{(\w+)\}$/.exec(ds?.uid ?? '')?.[1]
        t.ok(name && datasourceVars.get(name) === ds?.type, `panel ${p.id} datasource ${JSON.stringify(ds)} is a defined ${ds?.type} datasource variable`)
      }
    }

    // Every variable referenced anywhere (queries, links, other variables) is defined or built in.
    const used = new Set(variablesIn(JSON.stringify({ panels: d.panels, templating: d.templating })))
    const undefinedVars = [...used].filter((v) => !defined.has(v) && !BUILTIN_VARIABLES.has(v))
    t.same(undefinedVars, [], 'every variable used is defined')
    for (const v of variables) t.ok(used.has(v.name), `variable ${v.name} is used`)

    // Data links open Explore with a JSON pane whose datasource is a defined variable.
    const links = linksOf(panels)
    for (const link of links) {
      t.notMatch(link.url, /%24%7B/i, `link "${link.title}" keeps its variables unencoded for Grafana to fill in`)
      const panes = new URL(link.url, 'http://grafana.local').searchParams.get('panes') ?? ''
      const pane = Object.values(JSON.parse(panes) as Record<string, { datasource: string; queries: unknown[] }>)[0]
      t.ok(pane && datasourceVars.has(pane.datasource.replace(/^\$\{(\w+)\}$/, '$1')) && pane.queries.length === 1, `link "${link.title}" decodes to an Explore pane`)
    }
  })
}

t.test('overview and deliveries filter by source and action and link to traces and logs', async (t) => {
  for (const uid of ['webhook-relay-overview', 'webhook-relay-deliveries']) {
    const d = dashboards.find((x) => x.json.uid === uid)?.json
    if (!d) {
      t.fail(`${uid} exists`)
      continue
    }
    const names = d.templating.list.map((v) => v.name)
    t.ok(names.includes('source') && names.includes('action'), `${uid} has source and action variables`)
    const links = linksOf(allPanels(d.panels))
    t.ok(links.some((l) => l.url.includes('${tempo}')), `${uid} links to Tempo traces`)
    t.ok(links.some((l) => l.url.includes('${loki}')), `${uid} links to Loki logs`)
  }
})

t.test('queries.json lists every dashboard query with variables resolved', async (t) => {
  const listed = new Set(queries.map((q) => q.expr))
  for (const { json: d } of dashboards) {
    for (const p of allPanels(d.panels)) {
      for (const target of p.targets ?? []) t.ok(listed.has(target.expr), `${d.uid} panel ${p.id} ${target.refId} is listed`)
    }
  }
  t.equal(new Set(queries.map((q) => q.id)).size, queries.length, 'ids are unique')
  for (const q of queries) t.notMatch(q.resolved, /\$/, `${q.id} has no unresolved variable`)
  t.ok(queries.some((q) => q.origin === 'alert'), 'alert expressions are listed')
})

const promtool = spawnSync('promtool', ['--version']).status === 0
t.test('every resolved expression parses as PromQL (promtool check rules)', { skip: promtool ? false : 'promtool not installed (scripts/check-grafana.sh installs it)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-promql-'))
  const file = join(dir, 'queries.rules.yaml')
  // A recording rule per expression: promtool parses each and reports the bad ones by name.
  const rules = queries.map((q, i) => ({ record: `relay:query_${i}`, expr: q.resolved }))
  writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard-queries', rules }] }))
  const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })
  t.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`))
})
