/**
 * Panel builders. A panel spec says what to draw (title, queries, unit, width); the
 * dashboard builder assigns ids and grid positions, so specs never carry either.
 */
import { config } from '../config.ts'
import type { DataLink, DataSourceRef, Panel, Target, Threshold } from './types.ts'

export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' }

export interface Query {
  expr: string
  legend?: string
}

export interface PanelSpec {
  type: 'timeseries' | 'stat' | 'bargauge' | 'table'
  title: string
  description: string
  queries: readonly Query[]
  unit?: string
  width?: number
  height?: number
  min?: number
  max?: number
  thresholds?: Threshold[]
  links?: DataLink[]
  stack?: boolean
  /** Instant queries (stat, bar gauge, table) instead of ranges. */
  instant?: boolean
  options?: Record<string, unknown>
  transformations?: unknown[]
  overrides?: unknown[]
}

export interface RowSpec {
  title: string
  panels: PanelSpec[]
}

const DEFAULT_WIDTH = 8
const DEFAULT_HEIGHT = 8

const greenOnly: Threshold[] = [{ color: 'green', value: null }]

/** Green above `warn`, yellow between, red below `crit` (for success ratios). */
export const ratioThresholds = (warn: number, crit: number): Threshold[] => [
  { color: 'red', value: null },
  { color: 'yellow', value: crit },
  { color: 'green', value: warn },
]

/** Green below `warn`, yellow to `crit`, red above (depths, lags, latencies). */
export const ceilingThresholds = (warn: number, crit: number): Threshold[] => [
  { color: 'green', value: null },
  { color: 'yellow', value: warn },
  { color: 'red', value: crit },
]

function targets(spec: PanelSpec): Target[] {
  return spec.queries.map((query, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: PROMETHEUS,
    expr: query.expr,
    legendFormat: query.legend ?? '__auto',
    range: !spec.instant,
    instant: spec.instant === true,
    ...(spec.type === 'table' ? { format: 'table' as const } : {}),
  }))
}

function defaultOptions(spec: PanelSpec): Record<string, unknown> {
  switch (spec.type) {
    case 'timeseries':
      return { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } }
    case 'stat':
      return { colorMode: 'value', graphMode: 'area', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } }
    case 'bargauge':
      return { displayMode: 'gradient', orientation: 'horizontal', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } }
    case 'table':
      return { showHeader: true, cellHeight: 'sm' }
  }
}

/** Turns a spec into a Grafana panel at a given position with a given id. */
export function renderPanel(spec: PanelSpec, id: number, x: number, y: number): Panel {
  const custom = spec.type === 'timeseries'
    ? { drawStyle: 'line', lineWidth: 1, fillOpacity: spec.stack ? 30 : 10, showPoints: 'never', spanNulls: false, stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' } }
    : {}
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    gridPos: { x, y, w: spec.width ?? DEFAULT_WIDTH, h: spec.height ?? DEFAULT_HEIGHT },
    datasource: PROMETHEUS,
    targets: targets(spec),
    fieldConfig: {
      defaults: {
        unit: spec.unit ?? 'short',
        ...(spec.min !== undefined ? { min: spec.min } : {}),
        ...(spec.max !== undefined ? { max: spec.max } : {}),
        thresholds: { mode: 'absolute', steps: spec.thresholds ?? greenOnly },
        color: { mode: spec.thresholds ? 'thresholds' : 'palette-classic' },
        links: spec.links ?? [],
        custom,
      },
      overrides: spec.overrides ?? [],
    },
    options: { ...defaultOptions(spec), ...spec.options },
    ...(spec.transformations ? { transformations: spec.transformations } : {}),
  }
}

/** Shorthands so dashboard files read as a list of what is shown. */
export const timeseries = (s: Omit<PanelSpec, 'type'>): PanelSpec => ({ type: 'timeseries', ...s })
export const stat = (s: Omit<PanelSpec, 'type'>): PanelSpec => ({ type: 'stat', instant: false, width: 4, height: 5, ...s })
export const bargauge = (s: Omit<PanelSpec, 'type'>): PanelSpec => ({ type: 'bargauge', instant: true, ...s })
export const table = (s: Omit<PanelSpec, 'type'>): PanelSpec => ({ type: 'table', instant: true, ...s })

export const latencyThresholds = () => ceilingThresholds(config.thresholds.latencyWarnSeconds, config.thresholds.latencyCritSeconds)
