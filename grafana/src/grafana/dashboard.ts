/**
 * Dashboard builder: lays out rows of panel specs on Grafana's 24-column grid, numbers
 * panels uniquely, and defines the datasource and label variables every panel uses.
 */
import { config } from '../config.ts'
import { PROMETHEUS, renderPanel, type RowSpec } from './panels.ts'
import type { Dashboard, Panel, TemplateVariable } from './types.ts'

const GRID_COLUMNS = 24
const ROW_HEIGHT = 1
/** Grafana 11's dashboard schema version. */
const SCHEMA_VERSION = 39

function datasourceVariable(name: string, label: string, pluginId: string, current: { uid: string; name: string }): TemplateVariable {
  return {
    name,
    label,
    type: 'datasource',
    query: pluginId,
    current: { selected: false, text: current.name, value: current.uid },
    hide: 0,
    refresh: 1,
    regex: '',
    options: [],
  }
}

/** A multi-select label variable whose "All" is the regex `.*`, so `=~"$var"` always works. */
function labelVariable(name: string, label: string, query: string): TemplateVariable {
  return {
    name,
    label,
    type: 'query',
    datasource: PROMETHEUS,
    definition: query,
    query: { query, refId: `${name}-variable` },
    refresh: 2,
    includeAll: true,
    allValue: '.*',
    multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
    regex: '',
    options: [],
  }
}

export function variables(): TemplateVariable[] {
  const ds = config.datasources
  return [
    datasourceVariable('datasource', 'Prometheus', 'prometheus', ds.prometheus),
    datasourceVariable('tempo', 'Tempo', 'tempo', ds.tempo),
    datasourceVariable('loki', 'Loki', 'loki', ds.loki),
    labelVariable('source', 'Source', `label_values(webhooks_received_total{${config.relaySelector}}, source)`),
    labelVariable('action', 'Action', `label_values(deliveries_attempted_total{${config.relaySelector}, source=~"$source"}, action)`),
  ]
}

/** Places panels left to right, wrapping at 24 columns; each row starts with a row panel. */
function layout(rows: readonly RowSpec[]): Panel[] {
  const panels: Panel[] = []
  let id = 1
  let y = 0
  for (const row of rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y, w: GRID_COLUMNS, h: ROW_HEIGHT }, panels: [] })
    y += ROW_HEIGHT
    let x = 0
    let lineHeight = 0
    for (const spec of row.panels) {
      const panel = renderPanel(spec, id++, x, y)
      if (x + panel.gridPos.w > GRID_COLUMNS) {
        y += lineHeight
        x = 0
        lineHeight = 0
        panel.gridPos.x = 0
        panel.gridPos.y = y
      }
      panels.push(panel)
      x += panel.gridPos.w
      lineHeight = Math.max(lineHeight, panel.gridPos.h)
    }
    y += lineHeight
  }
  return panels
}

export interface DashboardSpec {
  uid: string
  title: string
  description: string
  rows: RowSpec[]
}

/** `$name` and `${name...}` references in any JSON-able value. */
export function referencedVariables(value: unknown): Set<string> {
  const text = JSON.stringify(value)
  return new Set([...text.matchAll(/\$\{(\w+)(?:[:.][^}]*)?\}|\$(\w+)/g)].map((m) => (m[1] ?? m[2]) as string))
}

/** The variables the panels use, plus the ones those variables' own queries use. */
function usedVariables(panels: readonly Panel[]): TemplateVariable[] {
  const all = variables()
  const used = referencedVariables(panels)
  for (let grew = true; grew;) {
    grew = false
    for (const v of all) {
      if (!used.has(v.name)) continue
      for (const dep of referencedVariables(v)) {
        if (!used.has(dep)) {
          used.add(dep)
          grew = true
        }
      }
    }
  }
  return all.filter((v) => used.has(v.name))
}

export function dashboard(spec: DashboardSpec, related: readonly { title: string; uid: string }[]): Dashboard {
  const panels = layout(spec.rows)
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [...config.dashboards.tags],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: config.dashboards.refresh,
    time: { from: config.dashboards.timeFrom, to: 'now' },
    templating: { list: usedVariables(panels) },
    annotations: {
      list: [{
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      }],
    },
    // Keep the chosen time range and variables when moving between the relay's dashboards.
    links: related.filter((d) => d.uid !== spec.uid).map((d) => ({
      title: d.title,
      type: 'link',
      url: `/d/${d.uid}`,
      keepTime: true,
      includeVars: true,
      icon: 'dashboard',
      asDropdown: false,
      targetBlank: false,
      tags: [],
    })),
    panels,
  }
}
