/**
 * The machine-readable list of every PromQL expression in the dashboards and alerts
 * (grafana/generated/queries.json). A test runs each one against a real Prometheus
 * scraping a real relay; `resolved` is the expression with Grafana's variables replaced
 * by values Prometheus understands.
 */
import type { AlertRule, RuleGroup } from './alerts/rules.ts'
import type { Dashboard, Panel } from './grafana/types.ts'

/**
 * When an expression is expected to return series:
 * - traffic: after webhooks were accepted and delivered successfully;
 * - failures: after some deliveries failed (retry or fail), e.g. a subscriber answering 500;
 * - dead: after some delivery was dead-lettered;
 * - rejections: after some ingest was rejected (bad signature, unknown slug, ...);
 * - never: an alert condition that stays empty while the relay is healthy.
 */
export type ExpectData = 'traffic' | 'failures' | 'dead' | 'rejections' | 'never'

export interface QueryEntry {
  id: string
  origin: 'dashboard' | 'variable' | 'alert'
  /** Dashboard uid and panel title, or the alert name. */
  where: string
  expr: string
  resolved: string
  expectData: ExpectData
}

/** `$__rate_interval` becomes this window; pick it at least 4x the test's scrape interval. */
export const RESOLVED_RATE_INTERVAL = '1m'

/** Replaces Grafana variables: label variables match everything, intervals become a fixed window. */
export function resolve(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', RESOLVED_RATE_INTERVAL)
    .replaceAll('$__interval', RESOLVED_RATE_INTERVAL)
    .replace(/\$\{?(source|action)\}?/g, '.*')
}

function expectation(expr: string): ExpectData {
  if (expr.includes('deliveries_dead_total')) return 'dead'
  if (expr.includes('delivery_errors_total')) return 'failures'
  if (/outcome!~"accepted\|duplicate"/.test(expr)) return 'rejections'
  return 'traffic'
}

function walk(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...walk(p.panels ?? [])])
}

export function dashboardQueries(dashboard: Dashboard): QueryEntry[] {
  const entries: QueryEntry[] = []
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue
    // label_values() is Grafana syntax; its selector is the PromQL Grafana sends to /api/v1/series.
    const selector = String(v.definition).replace(/^label_values\((.*),\s*\w+\)$/, '$1')
    entries.push({ id: `${dashboard.uid}/var/${v.name}`, origin: 'variable', where: `${dashboard.uid} variable ${v.name}`, expr: selector, resolved: resolve(selector), expectData: 'traffic' })
  }
  for (const panel of walk(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      entries.push({
        id: `${dashboard.uid}/${panel.id}/${target.refId}`,
        origin: 'dashboard',
        where: `${dashboard.uid}: ${panel.title}`,
        expr: target.expr,
        resolved: resolve(target.expr),
        expectData: expectation(target.expr),
      })
    }
  }
  return entries
}

export function alertQueries(groups: readonly RuleGroup[]): QueryEntry[] {
  return groups.flatMap((g) => g.rules.map((r: AlertRule) => ({
    id: `alert/${r.alert}`,
    origin: 'alert' as const,
    where: r.alert,
    expr: r.expr,
    resolved: r.expr,
    expectData: 'never' as const,
  })))
}
