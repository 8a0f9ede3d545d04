/**
 * Deliveries by action: the per-plugin breakdown a person opens when one action misbehaves.
 */
import { config } from '../config.ts'
import type { DashboardSpec } from '../grafana/dashboard.ts'
import { logsLink, tracesLink } from '../grafana/links.ts'
import { latencyThresholds, ratioThresholds, table, timeseries } from '../grafana/panels.ts'
import { q } from '../queries.ts'

const t = config.thresholds

export const deliveries: DashboardSpec = {
  uid: 'webhook-relay-deliveries',
  title: 'Webhook Relay / Deliveries by action',
  description: 'Delivery rate, success, latency and errors per action plugin and source.',
  rows: [
    {
      title: 'Per action',
      panels: [
        table({
          title: 'Actions',
          description: 'Attempts per second, success ratio and P95 latencies per action, over the dashboard\'s rate interval.',
          queries: [
            { expr: q.actionAttemptRate },
            { expr: q.actionSuccessRatio },
            { expr: q.actionLatencyP95 },
            { expr: q.actionEndToEndP95 },
          ],
          width: 24, height: 7,
          links: [tracesLink(), logsLink()],
          transformations: [
            { id: 'merge', options: {} },
            { id: 'organize', options: {
              excludeByName: { Time: true },
              renameByName: { action: 'Action', 'Value #A': 'Attempts/s', 'Value #B': 'Success', 'Value #C': 'P95 attempt', 'Value #D': 'P95 end-to-end' },
            } },
          ],
          overrides: [
            { matcher: { id: 'byName', options: 'Success' }, properties: [
              { id: 'unit', value: 'percentunit' },
              { id: 'thresholds', value: { mode: 'absolute', steps: ratioThresholds(t.successRatioWarn, t.successRatioCrit) } },
              { id: 'custom.cellOptions', value: { type: 'color-text' } },
            ] },
            { matcher: { id: 'byRegexp', options: 'P95.*' }, properties: [{ id: 'unit', value: 's' }] },
            { matcher: { id: 'byName', options: 'Attempts/s' }, properties: [{ id: 'unit', value: 'ops' }] },
          ],
        }),
        timeseries({ title: 'Attempts by action and outcome', description: 'Delivery attempts per second split by action and outcome.', queries: [{ expr: q.actionRateByOutcome, legend: '{{action}} {{outcome}}' }], unit: 'ops', width: 12, links: [tracesLink()] }),
        timeseries({ title: 'Success ratio by action', description: 'Successful attempts over all attempts, per action.', queries: [{ expr: q.actionSuccessRatio, legend: '{{action}}' }], unit: 'percentunit', min: 0, max: 1, width: 12, thresholds: ratioThresholds(t.successRatioWarn, t.successRatioCrit), links: [tracesLink(true)] }),
        timeseries({ title: 'Attempt latency by action', description: 'P50/P95/P99 duration of one plugin call, per action.', queries: q.actionLatencyQuantiles, unit: 's', width: 12, thresholds: latencyThresholds(), links: [tracesLink()] }),
        timeseries({ title: 'Errors by source, action and status class', description: 'Failed attempts per second and why.', queries: [{ expr: q.deliveryErrorsBySourceAction, legend: '{{source}} / {{action}}: {{status_class}}' }], unit: 'ops', width: 12, links: [tracesLink(true), logsLink(true)] }),
        timeseries({ title: 'Attempts by source and action', description: 'Which subscriptions carry the load.', queries: [{ expr: q.sourceActionAttemptRate, legend: '{{source}} / {{action}}' }], unit: 'ops', width: 12, stack: true }),
        timeseries({ title: 'Deferred by the fairness gate', description: 'Deliveries per second handed back to wait because their subscription was at its share of the worker. Not failures: a slow receiver queues here instead of taking every slot.', queries: [{ expr: q.deferredRate, legend: 'deferred' }], unit: 'ops', width: 12 }),
        timeseries({ title: 'Dead-lettered by source and action', description: 'New dead letters per second by reason.', queries: [{ expr: q.deadLetteredRate, legend: '{{source}} / {{action}} ({{reason}})' }], unit: 'ops', width: 12, links: [tracesLink(true), logsLink(true)] }),
      ],
    },
  ],
}
