/** The small slice of Grafana's dashboard JSON model that the generator writes. */

export interface DataSourceRef {
  type: string
  uid: string
}

export interface Target {
  refId: string
  datasource: DataSourceRef
  expr: string
  legendFormat: string
  range: boolean
  instant: boolean
  format?: 'time_series' | 'table'
}

export interface DataLink {
  title: string
  url: string
  targetBlank: boolean
}

export interface Threshold {
  color: string
  value: number | null
}

export interface GridPos {
  x: number
  y: number
  w: number
  h: number
}

export interface Panel {
  id: number
  type: string
  title: string
  description?: string
  gridPos: GridPos
  datasource?: DataSourceRef
  targets?: Target[]
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] }
  options?: Record<string, unknown>
  transformations?: unknown[]
  collapsed?: boolean
  panels?: Panel[]
}

export interface TemplateVariable {
  name: string
  label: string
  type: 'datasource' | 'query'
  [key: string]: unknown
}

export interface Dashboard {
  uid: string
  title: string
  description: string
  tags: string[]
  timezone: string
  editable: boolean
  graphTooltip: number
  schemaVersion: number
  version: number
  refresh: string
  time: { from: string; to: string }
  templating: { list: TemplateVariable[] }
  annotations: { list: unknown[] }
  links: unknown[]
  panels: Panel[]
}
