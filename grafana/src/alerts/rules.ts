/**
 * Prometheus alerting rules for the relay, built from the thresholds in config.ts.
 * Each rule's runbook is the section of docs/observability.md named after the alert.
 */
import { config } from '../config.ts'

export interface AlertRule {
  alert: string
  expr: string
  for: string
  labels: { severity: 'warning' | 'critical' }
  annotations: { summary: string; description: string; runbook_url: string }
}

export interface RuleGroup {
  name: string
  rules: AlertRule[]
}

const t = config.thresholds
const relay = config.relaySelector
const runbook = (alert: string) => `${config.runbookBaseUrl}#${alert.toLowerCase()}`

function rule(r: Omit<AlertRule, 'annotations'> & { summary: string; description: string }): AlertRule {
  return {
    alert: r.alert,
    expr: r.expr,
    for: r.for,
    labels: r.labels,
    annotations: { summary: r.summary, description: r.description, runbook_url: runbook(r.alert) },
  }
}

const attempts = (extra: string, window: string) =>
  `sum by (source, action) (rate(deliveries_attempted_total{${relay}${extra}}[${window}]))`

export const ruleGroups: RuleGroup[] = [
  {
    name: 'webhook-relay',
    rules: [
      rule({
        alert: 'WebhookRelayDeliveryErrorRateHigh',
        expr:
          `(${attempts(', outcome=~"retry|fail"', t.deliveryErrorWindow)}\n  / ${attempts('', t.deliveryErrorWindow)})\n` +
          `> ${t.deliveryErrorRatio}\n` +
          `and ${attempts('', t.deliveryErrorWindow)} > ${t.deliveryErrorMinRate}`,
        for: t.deliveryErrorFor,
        labels: { severity: 'warning' },
        summary: 'Deliveries of {{ $labels.source }} to {{ $labels.action }} are failing.',
        description: `{{ $value | humanizePercentage }} of delivery attempts for source {{ $labels.source }}, action {{ $labels.action }} ended in retry or failure over the last ${t.deliveryErrorWindow} (threshold ${t.deliveryErrorRatio * 100}%).`,
      }),
      rule({
        alert: 'WebhookRelayDeadLettersGrowing',
        expr: `sum by (source, action, reason) (increase(deliveries_dead_total{${relay}}[${t.deadLetterWindow}])) > ${t.deadLetterIncrease}`,
        for: '0m',
        labels: { severity: 'warning' },
        summary: 'Deliveries of {{ $labels.source }} to {{ $labels.action }} are landing in the dead-letter queue.',
        description: `{{ $value | humanize }} deliveries for source {{ $labels.source }}, action {{ $labels.action }} were dead-lettered ({{ $labels.reason }}) in the last ${t.deadLetterWindow}. They wait for a person to inspect and replay them.`,
      }),
      rule({
        alert: 'WebhookRelayRetryQueueHigh',
        expr: `max(retry_queue_depth{${relay}}) > ${t.retryQueueDepth}`,
        for: t.retryQueueFor,
        labels: { severity: 'warning' },
        summary: 'The retry queue holds {{ $value | humanize }} deliveries.',
        description: `More than ${t.retryQueueDepth} deliveries have been waiting for a retry for ${t.retryQueueFor}: one or more subscribers keep failing.`,
      }),
      rule({
        alert: 'WebhookRelayStreamLagHigh',
        expr: `max by (stream, group) (stream_lag{${relay}}) > ${t.streamLag}`,
        for: t.streamLagFor,
        labels: { severity: 'warning' },
        summary: 'Consumer group {{ $labels.group }} is {{ $value | humanize }} entries behind on {{ $labels.stream }}.',
        description: `The workers have not read more than ${t.streamLag} entries of {{ $labels.stream }} for ${t.streamLagFor}: webhooks are accepted faster than they are fanned out or delivered.`,
      }),
      rule({
        alert: 'WebhookRelayNoIngest',
        // A source that received at least N webhooks in this window yesterday and none now.
        // `unless` also fires when the series is gone altogether (process restarted, source silent).
        expr:
          `sum by (source) (increase(webhooks_received_total{${relay}, outcome="accepted"}[${t.noIngestWindow}] offset 1d)) >= ${t.noIngestBaselineEvents}\n` +
          `unless on (source)\n` +
          `sum by (source) (increase(webhooks_received_total{${relay}, outcome="accepted"}[${t.noIngestWindow}])) > 0`,
        for: t.noIngestFor,
        labels: { severity: 'warning' },
        summary: 'Source {{ $labels.source }} has received no webhooks for an hour.',
        description: `Source {{ $labels.source }} accepted {{ $value | humanize }} webhooks in the same ${t.noIngestWindow} yesterday and none in the last ${t.noIngestWindow}: the sender may have stopped, lost its URL, or be failing signature checks.`,
      }),
      rule({
        alert: 'WebhookRelayWorkerDown',
        // No worker is up; an all-in-one process (scraped as the api job) also delivers.
        expr:
          `absent(up{job="${config.jobs.worker}"} == 1)\n` +
          `unless on () (max(relay_info{${relay}, role="all"}) == 1)`,
        for: t.targetDownFor,
        labels: { severity: 'critical' },
        summary: 'No Webhook Relay worker is running.',
        description: `Prometheus has scraped no healthy ${config.jobs.worker} target for ${t.targetDownFor}. Webhooks are still accepted but nothing is fanned out or delivered.`,
      }),
      rule({
        alert: 'WebhookRelayApiDown',
        expr: `absent(up{job="${config.jobs.api}"} == 1)`,
        for: t.targetDownFor,
        labels: { severity: 'critical' },
        summary: 'No Webhook Relay API is running.',
        description: `Prometheus has scraped no healthy ${config.jobs.api} target for ${t.targetDownFor}. Senders get connection errors and will retry on their own schedule.`,
      }),
      rule({
        alert: 'WebhookRelayPostgresDown',
        expr: `min by (job, instance) (pg_up{${relay}}) == 0`,
        for: t.dependencyDownFor,
        labels: { severity: 'critical' },
        summary: '{{ $labels.job }} {{ $labels.instance }} cannot reach Postgres.',
        description: `The relay's Postgres health check has failed for ${t.dependencyDownFor}. Ingest answers 503 and deliveries stop until Postgres is back.`,
      }),
      rule({
        alert: 'WebhookRelayRedisDown',
        expr: `min by (job, instance) (redis_up{${relay}}) == 0`,
        for: t.dependencyDownFor,
        labels: { severity: 'critical' },
        summary: '{{ $labels.job }} {{ $labels.instance }} cannot reach Redis.',
        description: `The relay's Redis health check has failed for ${t.dependencyDownFor}. Ingest answers 503; the reconciler re-enqueues unfinished work from Postgres once Redis is back.`,
      }),
    ],
  },
]
